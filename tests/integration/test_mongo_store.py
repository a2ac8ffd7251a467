"""The raw store against the real replica set: indexes, validators, idempotent transactional writes of orders and
their `order_items` lines, change streams."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pymongo
import pytest
from pymongo.database import Database

from shopease_platform.mongo_store import analyses
from shopease_platform.mongo_store.change_stream import ResumeTokenInvalid, poll_new_orders
from shopease_platform.mongo_store.contracts import DocumentRefused, refusal_message
from shopease_platform.mongo_store.schema import LINES_OF_ORDERS, ensure_schema
from shopease_platform.mongo_store.writer import apply_price_events, write_window
from tests.mongo_checks import assert_stock_reconciles, collection_checksum

pytestmark = pytest.mark.integration
T0 = datetime(2026, 3, 1, 6, tzinfo=UTC)


@pytest.fixture
def db(client: pymongo.MongoClient, request: pytest.FixtureRequest) -> Iterator[Database]:
    name = "store_" + request.node.name[:40].replace("[", "_").replace("]", "_")
    client.drop_database(name)
    database = client[name]
    ensure_schema(database)
    database.products.insert_many(
        [
            {"_id": f"P{i}", "sku": f"SKU{i}", "name": f"p{i}", "category": "Toys", "base_price": 10.0,
             "price": 10.0, "initial_stock": 100, "stock": 100, "reorder_point": 10, "launched_at": T0,
             "price_effective_at": T0 - timedelta(days=1), "updated_at": T0}
            for i in range(3)
        ]
    )  # fmt: skip
    yield database
    client.drop_database(name)


def _order(n: int, minute: int = 0, **items: int) -> dict[str, Any]:
    lines = [
        {"line_number": k + 1, "product_id": pid, "quantity": qty, "unit_price": 10.0}
        for k, (pid, qty) in enumerate(items.items())
    ]
    return {
        "_id": f"O-{n}",
        "customer_id": f"C-{n}",
        "store_id": "S000",
        "ordered_at": T0 + timedelta(minutes=minute),
        "status": "placed",
        "currency": "USD",
        "items": lines,
        "order_total": sum(line["quantity"] * 10.0 for line in lines),
    }


def _stock(db: Database) -> dict[str, int]:
    return {d["_id"]: d["stock"] for d in db.products.find()}


def test_window_query_uses_the_ordered_at_index(db: Database) -> None:
    db.orders.insert_many([_order(n, minute=n, P0=1) for n in range(50)])
    plan = db.orders.find({"ordered_at": {"$gte": T0, "$lt": T0 + timedelta(hours=3)}}).explain()
    winning = str(plan["queryPlanner"]["winningPlan"])
    assert "IXSCAN" in winning and "ordered_at_1" in winning
    assert {"customer_id_1_order_total_1", "items.product_id_1", "ordered_at_1"} <= set(db.orders.index_information())


def test_order_items_hold_each_line_with_its_order(client: pymongo.MongoClient, db: Database) -> None:
    write_window(client, db, [_order(1, P0=2, P1=1)], [], T0 + timedelta(hours=3))
    lines = list(db.order_items.find().sort("line_number"))
    assert [(line["_id"], line["order_id"], line["product_id"], line["quantity"]) for line in lines] == [
        ("O-1-1", "O-1", "P0", 2),
        ("O-1-2", "O-1", "P1", 1),
    ]
    indexes = set(db.order_items.index_information())
    assert {"product_id_1_quantity_1_unit_price_1", "order_id_1", "ordered_at_1"} <= indexes
    assert db.command("listCollections", filter={"name": "order_items"})["cursor"]["firstBatch"][0]["type"] == (
        "collection"
    )


def test_an_order_items_view_of_an_earlier_layout_becomes_the_collection(client: pymongo.MongoClient) -> None:
    name = "store_view_migration"
    client.drop_database(name)
    db = client[name]
    db.orders.insert_many([_order(1, P0=2, P1=1), _order(2, P2=3)])
    db.command("create", "order_items", viewOn="orders", pipeline=LINES_OF_ORDERS)
    ensure_schema(db)
    assert sorted(db.order_items.distinct("_id")) == ["O-1-1", "O-1-2", "O-2-1"]
    assert "product_id_1_quantity_1_unit_price_1" in db.order_items.index_information()
    client.drop_database(name)


def test_single_field_indexes_a_compound_one_now_serves_are_dropped(db: Database) -> None:
    db.orders.create_index("customer_id")
    db.order_items.create_index("product_id")
    ensure_schema(db)
    assert "customer_id_1" not in db.orders.index_information()
    assert "product_id_1" not in db.order_items.index_information()


def test_the_reports_lookups_are_covered_index_scans(client: pymongo.MongoClient, db: Database) -> None:
    """Each `$lookup` of the brief's analyses reads its inner side from an index alone: a dropped or changed
    index shows as a collection scan, or as documents examined."""
    customers = [
        {"_id": f"C-{n}", "first_name": "Ann", "last_name": f"Lee{n}", "email": f"c{n}@x.test", "created_at": T0}
        for n in range(1, 5)
    ]
    db.customers.insert_many(customers, bypass_document_validation=True)  # only the fields the analyses read
    write_window(
        client, db, [_order(1, P0=2, P1=1), _order(2, P0=1), _order(3, minute=9, P2=4)], [], T0 + timedelta(hours=3)
    )
    used = analyses.lookup_indexes(db)
    assert used["revenue_by_category"] == ["product_id_1_quantity_1_unit_price_1"]
    assert used["inactive_customers"] == ["customer_id_1_order_total_1"]
    assert analyses.COLLSCAN not in used["top_customer"]
    for name, (collection, pipeline) in analyses.LOOKUP_PIPELINES.items():
        plan = db.command("explain", {"aggregate": collection, "pipeline": pipeline, "cursor": {}},
                          verbosity="executionStats")  # fmt: skip
        inner = [s for s in plan["stages"] if s.get("$lookup", {}).get("from") in ("orders", "order_items")]
        assert inner and all(s["totalDocsExamined"] == 0 and not s["collectionScans"] for s in inner), name
    top = analyses.top_customer(db)
    assert top is not None and (top.customer_id, top.name, top.orders, str(top.spent)) == (
        "C-3",
        "Ann Lee3",
        1,
        "40.00",
    )
    assert analyses.inactive_customers(db) == ["C-4"]
    assert {k: str(v) for k, v in analyses.revenue_by_category(db).items()} == {"Toys": "80.00"}


def test_rewriting_a_window_is_idempotent(client: pymongo.MongoClient, db: Database) -> None:
    orders = [_order(1, P0=2, P1=1), _order(2, minute=5, P0=1)]
    restocks = [{"_id": "R-P2-1", "product_id": "P2", "quantity": 7, "restocked_at": T0}]
    first = write_window(client, db, orders, restocks, T0 + timedelta(hours=3))
    assert (first.orders_inserted, first.units_ordered, first.units_restocked) == (2, 4, 7)
    for _ in range(3):
        again = write_window(client, db, orders, restocks, T0 + timedelta(hours=3))
        assert (again.orders_inserted, again.orders_already_present, again.restocks_inserted) == (0, 2, 0)
    assert db.orders.count_documents({}) == 2
    assert _stock(db) == {"P0": 97, "P1": 99, "P2": 107}


def test_rewriting_a_window_leaves_order_items_identical(client: pymongo.MongoClient, db: Database) -> None:
    orders = [_order(n, minute=n, P0=1 + n % 3, P1=1) for n in range(40)]
    write_window(client, db, orders, [], T0 + timedelta(hours=3))
    first = collection_checksum(db, "order_items")
    assert first[0] == 80
    for _ in range(2):
        write_window(client, db, orders, [], T0 + timedelta(hours=3))
        assert collection_checksum(db, "order_items") == first
    write_window(client, db, [*orders, _order(99, P2=1)], [], T0 + timedelta(hours=3))  # one late order joins
    assert collection_checksum(db, "order_items")[0] == 81


def test_aborted_transaction_changes_nothing(client: pymongo.MongoClient, db: Database) -> None:
    def fail() -> None:
        raise RuntimeError("injected failure after the orders were written")

    orders = [_order(n, minute=n, P0=1, P1=2) for n in range(20)]
    with pytest.raises(RuntimeError, match="injected"):
        write_window(client, db, orders, [], T0 + timedelta(hours=3), fail_after_orders=fail)
    assert db.orders.count_documents({}) == 0 and db.order_items.count_documents({}) == 0
    assert _stock(db) == {"P0": 100, "P1": 100, "P2": 100}


def test_a_document_the_validator_refuses_aborts_the_whole_window(client: pymongo.MongoClient, db: Database) -> None:
    orders = [_order(n, minute=n, P0=1) for n in range(10)]
    orders[7]["items"][0]["quantity"] = 0
    with pytest.raises(DocumentRefused, match=r"orders: document 'O-7' refused.*items\.0\.quantity: minimum"):
        write_window(client, db, orders, [], T0 + timedelta(hours=3))
    assert db.orders.count_documents({}) == 0 and db.order_items.count_documents({}) == 0
    assert _stock(db) == {"P0": 100, "P1": 100, "P2": 100}


@pytest.mark.parametrize(
    ("collection", "document", "rule"),
    [
        ("orders", {**_order(1, P0=1), "ordered_at": "2026-03-01T06:00:00"}, "ordered_at: bsonType"),
        ("orders", {**_order(1), "items": []}, "items: minItems"),
        ("order_items", {"_id": "O-1-1", "order_id": "O-1", "product_id": "P0"}, "required (missing"),
        ("customers", {"_id": "C-1", "first_name": "A", "last_name": "B", "email": "a@b", "created_at": T0,
                       "repeat_propensity": 0.1, "address": {"state": "California"}}, "address.state: maxLength"),
        ("products", {"_id": "P9", "sku": "S9", "name": "n", "category": "Toys", "base_price": 1.0, "price": -1.0,
                      "initial_stock": 1, "stock": 1, "reorder_point": 1, "launched_at": T0, "updated_at": T0},
         "price: minimum"),
    ],
    ids=["string-time", "no-lines", "line-missing-fields", "long-state", "negative-price"],
)  # fmt: skip
def test_validators_refuse_with_mongodbs_message_and_bypass_admits(
    db: Database, collection: str, document: dict[str, Any], rule: str
) -> None:
    with pytest.raises(pymongo.errors.WriteError, match="Document failed validation") as refused:
        db[collection].insert_one(document)
    assert rule in refusal_message(collection, refused.value.details)
    assert db[collection].count_documents({"_id": document["_id"]}) == 0
    db[collection].insert_one(document, bypass_document_validation=True)
    assert db[collection].count_documents({"_id": document["_id"]}) == 1


def test_a_relaxed_validator_is_put_back_in_force(db: Database) -> None:
    db.command("collMod", "orders", validationAction="warn")
    ensure_schema(db)
    options = db.command("listCollections", filter={"name": "orders"})["cursor"]["firstBatch"][0]["options"]
    assert options["validationAction"] == "error" and options["validationLevel"] == "strict"


def test_stock_reconciles_after_interleaved_writers(client: pymongo.MongoClient, db: Database) -> None:
    """Several windows written from threads at once: stock still equals initial + restocks - ordered."""

    def window(w: int) -> None:
        orders = [_order(w * 100 + n, minute=n, P0=1 + n % 2, P1=1) for n in range(30)]
        restocks = [{"_id": f"R-P0-{w}", "product_id": "P0", "quantity": 5, "restocked_at": T0}]
        write_window(client, db, orders, restocks, T0)

    threads = [threading.Thread(target=window, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert_stock_reconciles(db)
    assert db.orders.count_documents({}) == 120


def test_price_events_move_current_price_forward_only(db: Database) -> None:
    late = {"_id": "PE-2", "product_id": "P0", "effective_at": T0 + timedelta(days=2), "kind": "increase",
            "old_price": 9.0, "new_price": 11.0}  # fmt: skip
    early = {"_id": "PE-1", "product_id": "P0", "effective_at": T0 + timedelta(days=1), "kind": "promotion_start",
             "old_price": 10.0, "new_price": 9.0}  # fmt: skip
    apply_price_events(db, [late])
    apply_price_events(db, [early])  # an older window loaded afterwards must not put its price back
    product = db.products.find_one({"_id": "P0"})
    assert product["price"] == 11.0
    assert db.price_events.count_documents({}) == 2


def test_change_stream_resumes_from_its_token(db: Database) -> None:
    start = poll_new_orders(db, None, max_seconds=0.5)
    assert start.orders == [] and start.resume_token is not None

    db.orders.insert_many([_order(1, P0=1), _order(2, P1=1)])
    first = poll_new_orders(db, start.resume_token, max_seconds=5)
    assert [o["_id"] for o in first.orders] == ["O-1", "O-2"]

    empty = poll_new_orders(db, first.resume_token, max_seconds=0.5)
    assert empty.orders == []
    assert empty.resume_token is not None

    db.orders.insert_one(_order(3, P2=1))  # inserted "while the sensor was down"
    resumed = poll_new_orders(db, empty.resume_token, max_seconds=5)
    assert [o["_id"] for o in resumed.orders] == ["O-3"]


def test_invalid_resume_token_is_reported_not_skipped(db: Database) -> None:
    with pytest.raises(ResumeTokenInvalid):
        poll_new_orders(db, {"_data": "00DEADBEEF"}, max_seconds=0.5)
