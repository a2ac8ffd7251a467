"""The loader against real servers: exact, idempotent, atomic per window, and loud about bad input."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import bson
import psycopg
import pymongo
import pytest
from bson import Int64
from bson.raw_bson import RawBSONDocument
from pymongo.database import Database

from shopease_platform.checks.reconciliation import reconcile_orders
from shopease_platform.etl import loader, tables
from shopease_platform.etl.tables import ensure_raw_tables
from shopease_platform.etl.validation import References, Rejected, order_rows
from shopease_platform.mongo_store.schema import ensure_schema
from shopease_platform.resources import MongoResource, PostgresResource
from shopease_platform.services import Endpoints, ServiceError
from tests.unit.test_etl_validation import CASES

pytestmark = pytest.mark.integration
T0 = datetime(2026, 5, 1, 9, tzinfo=UTC)
WINDOW = (T0, T0 + timedelta(hours=3))


def _order(n: int) -> dict[str, Any]:
    items = [
        {"line_number": 1, "product_id": f"P{n % 5}", "quantity": 1 + n % 3, "unit_price": 10.25 + n % 7},
        {"line_number": 2, "product_id": "P9", "quantity": 1, "unit_price": 3.5},
    ]
    return {
        "_id": f"O-{n:05d}",
        "customer_id": f"C{n % 20}",
        "store_id": "S000",
        "ordered_at": T0 + timedelta(seconds=n),
        "status": "placed",
        "currency": "USD",
        "items": items,
        "order_total": round(sum(i["quantity"] * i["unit_price"] for i in items), 2),
    }


@pytest.fixture
def stores(isolated_stores: tuple[str, str], services: Endpoints) -> Iterator[tuple[Database, psycopg.Connection]]:
    name, pg_url = isolated_stores
    client: pymongo.MongoClient = pymongo.MongoClient(services.mongodb_uri, tz_aware=True)
    db = client[name]
    ensure_schema(db)
    # Products and customers here only carry what the order loads look up, so they go past the validators.
    db.products.insert_many(
        [{"_id": f"P{i}", "sku": f"S{i}", "name": "x", "category": "Toys", "price": 1.0} for i in range(10)],
        bypass_document_validation=True,
    )
    db.stores.insert_one({"_id": "S000", "name": "Online", "kind": "online"})
    db.customers.insert_many(
        [{"_id": f"C{i}", "email": f"c{i}@x", "created_at": T0 - timedelta(days=1)} for i in range(20)],
        bypass_document_validation=True,
    )
    db.orders.insert_many([_order(n) for n in range(2500)])
    with psycopg.connect(pg_url) as conn:
        ensure_raw_tables(conn)
        conn.commit()
        yield db, conn
    client.close()


def _load(db: Database, conn: psycopg.Connection, **kwargs: Any) -> loader.LoadResult:
    with conn.transaction():
        return loader.load_orders(db, conn, WINDOW, **kwargs)


def _checksum(conn: psycopg.Connection) -> tuple[Any, ...]:
    return conn.execute(
        """select (select md5(string_agg(concat_ws('|', order_id, customer_id, ordered_at, order_total, line_count),
                                          ',' order by order_id)) from raw.orders),
                  (select md5(string_agg(concat_ws('|', order_id, line_number, product_id, quantity, unit_price,
                                                   line_revenue), ',' order by order_id, line_number))
                   from raw.order_items),
                  (select count(*) from raw.orders), (select count(*) from raw.order_items)"""
    ).fetchone()


def test_window_loads_exactly_with_types_and_lineage(stores: tuple[Database, psycopg.Connection]) -> None:
    db, conn = stores
    result = _load(db, conn, batch_size=1000)
    assert (result.rows["orders"], result.rows["order_items"], result.rows_rejected) == (2500, 5000, 0)
    types = dict(
        conn.execute(
            """select column_name, data_type from information_schema.columns
               where table_schema = 'raw' and table_name = 'order_items'"""
        ).fetchall()
    )
    assert types["ordered_at"] == "timestamp with time zone"
    assert types["unit_price"] == types["line_revenue"] == "numeric"
    assert {"_loaded_at", "_source_id"} <= set(types)
    assert reconcile_orders(db, conn, *WINDOW).passed


def test_three_reruns_leave_identical_tables(stores: tuple[Database, psycopg.Connection]) -> None:
    db, conn = stores
    _load(db, conn)
    first = _checksum(conn)
    for _ in range(3):
        _load(db, conn, batch_size=700)
        assert _checksum(conn) == first
    assert first[2:] == (2500, 5000)


def test_an_order_moved_to_another_window_fails_the_load_and_duplicates_nothing(
    stores: tuple[Database, psycopg.Connection],
) -> None:
    """`order_items` has no unique index: the orders primary key is what keeps its lines unique."""
    db, conn = stores
    _load(db, conn)
    before = _checksum(conn)
    next_window = (WINDOW[1], WINDOW[1] + timedelta(hours=3))
    db.orders.update_one({"_id": "O-00007"}, {"$set": {"ordered_at": next_window[0] + timedelta(minutes=1)}})
    with pytest.raises(psycopg.errors.UniqueViolation, match="orders_pkey"), conn.transaction():
        loader.load_orders(db, conn, next_window)
    assert _checksum(conn) == before


def test_raw_tables_of_the_earlier_layout_take_the_current_indexes(
    stores: tuple[Database, psycopg.Connection],
) -> None:
    """b-tree window indexes become BRIN and order_items drops its primary key; the data stays."""
    db, conn = stores
    _load(db, conn)
    before = _checksum(conn)
    with conn.transaction():
        conn.execute("drop index raw.order_items_ordered_at_brin")
        conn.execute("create index order_items_ordered_at_idx on raw.order_items (ordered_at)")
        conn.execute("alter table raw.order_items add primary key (order_id, line_number)")
        ensure_raw_tables(conn)
    indexes = dict(
        conn.execute(
            "select indexname, indexdef from pg_indexes where schemaname = 'raw' and tablename = 'order_items'"
        ).fetchall()
    )
    assert list(indexes) == ["order_items_ordered_at_brin"]
    assert "USING brin" in indexes["order_items_ordered_at_brin"]
    assert conn.execute("select to_regclass('raw.orders_pkey') is not null").fetchone() == (True,)
    assert _checksum(conn) == before


def test_ensuring_the_current_layout_does_not_lock_out_readers(
    stores: tuple[Database, psycopg.Connection], isolated_stores: tuple[str, str]
) -> None:
    """Loads run ensure_raw_tables inside their transaction; dbt must still read the raw tables meanwhile."""
    db, conn = stores
    _load(db, conn)
    with conn.transaction():
        ensure_raw_tables(conn)
        with psycopg.connect(isolated_stores[1]) as reader:
            reader.execute("set lock_timeout = '2s'")
            for table in tables.RAW_TABLES:
                reader.execute(f"select count(*) from raw.{table.name}").fetchone()


def test_failure_after_some_batches_leaves_the_window_as_it_was(stores: tuple[Database, psycopg.Connection]) -> None:
    db, conn = stores
    _load(db, conn)
    before = _checksum(conn)
    db.orders.insert_many([_order(n) for n in range(2500, 2600)])  # new business arrives, then the load fails

    def fail_on_third(batch: int) -> None:
        if batch == 3:
            raise RuntimeError("injected failure after 2 batches")

    with pytest.raises(RuntimeError, match="injected"):
        _load(db, conn, batch_size=500, after_batch=fail_on_third)
    assert _checksum(conn) == before

    _load(db, conn, batch_size=500)
    assert _checksum(conn)[2:] == (2600, 5200)
    assert reconcile_orders(db, conn, *WINDOW).passed


def test_malformed_documents_are_quarantined_with_distinct_reasons(
    stores: tuple[Database, psycopg.Connection],
) -> None:
    db, conn = stores
    # BSON dates are always UTC, so a naive datetime cannot be stored (the naive *string* below stands in),
    # and an out-of-window time is found by its own window's load.
    skipped = {"ordered_at is a naive timestamp", "ordered_at outside the window being loaded"}
    bad = [dict(doc, _id=f"BAD-{n:02d}") for n, (reason, doc) in enumerate(CASES.items()) if reason not in skipped]
    bad.append({"_id": "BAD-missing-time", "customer_id": "C1", "items": []})
    bad.append({"_id": "BAD-naive-string", "ordered_at": "2026-05-01T10:00:00", "items": []})
    # The validator, the first line of defence, refuses every document whose fields are wrong; what needs other
    # documents to judge (references, duplicate lines, a total against its lines) only the ETL can see.
    with pytest.raises(pymongo.errors.BulkWriteError, match="Document failed validation"):
        db.orders.insert_many(bad, ordered=False)
    admitted = {doc["_id"] for doc in db.orders.find({"_id": {"$in": [doc["_id"] for doc in bad]}}, {"_id": 1})}
    needs_context = {"duplicate line", "unknown product_id", "unknown customer_id", "unknown store_id",
                     "order_total does not match its lines"}  # fmt: skip
    assert admitted == {f"BAD-{n:02d}" for n, reason in enumerate(CASES) if reason in needs_context}
    db.orders.delete_many({"_id": {"$in": list(admitted)}})
    db.orders.insert_many(bad, bypass_document_validation=True)  # written past it: the quarantine catches them all

    with conn.transaction():
        unplaceable = loader.quarantine_unplaceable(db, conn)
    result = _load(db, conn)
    assert result.rows["orders"] == 2500
    assert result.rejected["orders"] + unplaceable.rejected["orders"] == len(bad)
    rows = conn.execute(
        "select source_id, reason, payload from raw.rejected_documents where collection = 'orders'"
    ).fetchall()
    reasons = {row[1] for row in rows}
    assert len(rows) == len(bad) and len(reasons) >= 12
    assert "ordered_at is a naive timestamp string" in reasons and "missing field ordered_at" in reasons
    payloads = {row[0]: row[2] for row in rows}
    assert payloads["BAD-missing-time"]["customer_id"] == "C1"
    check = reconcile_orders(db, conn, *WINDOW)
    assert check.passed, check.metadata


def _awkward_orders() -> list[dict[str, Any]]:
    """Orders that load, with the values where a columnar path could drift: half cents, ints, text, layout."""
    docs = []
    prices = [0.005, 2.675, 1.0049999999999999, 10.125, 0.285, 7, Int64(12), 1234567.125, 19.99, 0.01]
    for n, price in enumerate(prices):
        items = [
            {"line_number": 1, "product_id": "P-é", "quantity": Int64(3), "unit_price": price},
            {"line_number": Int64(2), "product_id": f"P{n % 5}", "quantity": 1 + n, "unit_price": 3.5, "note": "x"},
        ]
        doc = {
            "_id": f"A-{n:03d}",
            "customer_id": "C1",
            "store_id": "S000",
            "ordered_at": T0 + timedelta(minutes=n, milliseconds=n * 7),
            "items": items,
            "order_total": round(sum(round(i["quantity"] * float(i["unit_price"]), 2) for i in items), 2),
        }
        doc.update([{}, {"status": None}, {"status": ""}, {"currency": "EUR", "status": "en préparation"}][n % 4])
        docs.append(doc)
    long = [{"line_number": k, "product_id": f"P{100 + k}", "quantity": 1, "unit_price": 0.5} for k in range(70)]
    docs.append({"_id": "A-long", "customer_id": "C2", "store_id": "S000", "ordered_at": T0 + timedelta(hours=1),
                 "items": long, "order_total": 35})  # fmt: skip
    return docs


def _row_by_row_reference(db: Database, conn: psycopg.Connection) -> None:
    """The window as the row-by-row path loads it: `order_rows`, float8 staging, cast to the raw types."""
    refs = References(
        frozenset(db.products.distinct("_id")),
        frozenset(db.stores.distinct("_id")),
        frozenset(db.customers.distinct("_id")),
    )
    orders, lines = [], []
    for doc in db.orders.find({"ordered_at": {"$gte": WINDOW[0], "$lt": WINDOW[1]}}):
        try:
            order, order_lines = order_rows(doc, WINDOW, refs)
        except Rejected:
            continue
        orders.append(order)
        lines.extend(order_lines)
    for table, rows in ((tables.ORDERS, orders), (tables.ORDER_ITEMS, lines)):
        staged = [c.staging_type for c in table.columns]
        columns = ", ".join(f"{c.name} {t}" for c, t in zip(table.columns, staged, strict=True))
        conn.execute(f"create temp table ref_{table.name} ({columns}, _source_id text)")
        with conn.cursor().copy(f"copy ref_{table.name} from stdin (format binary)") as copy:
            copy.set_types([*staged, "text"])
            for row in rows:
                copy.write_row(row)
        casts = ", ".join(f"{c.name}::{c.type}" for c in table.columns)
        conn.execute(f"create temp view ref_{table.name}_typed as select {casts}, _source_id from ref_{table.name}")


def test_columnar_load_equals_the_row_by_row_path(stores: tuple[Database, psycopg.Connection]) -> None:
    db, conn = stores
    db.products.insert_many(
        [{"_id": "P-é", "sku": "S-e", "name": "é", "category": "Toys", "price": 1.0}], bypass_document_validation=True
    )
    db.products.insert_many([{"_id": f"P{100 + k}", "sku": f"S{100 + k}", "name": "x", "category": "Toys",
                              "price": 1.0} for k in range(70)], bypass_document_validation=True)  # fmt: skip
    db.orders.insert_many(_awkward_orders())
    result = _load(db, conn, batch_size=300)
    assert (result.rows["orders"], result.rows_rejected) == (2511, 0)
    _row_by_row_reference(db, conn)
    for table in (tables.ORDERS, tables.ORDER_ITEMS):
        names = ", ".join([*table.column_names, "_source_id"])
        for left, right in (
            (f"ref_{table.name}_typed", f"raw.{table.name}"),
            (f"raw.{table.name}", f"ref_{table.name}_typed"),
        ):
            difference = conn.execute(f"select {names} from {left} except all select {names} from {right}").fetchall()
            assert difference == [], (left, right, difference[:3])
    exact = conn.execute(
        "select unit_price, line_revenue from raw.order_items where order_id = 'A-002' and line_number = 1"
    )
    # 1.0049999999999999 is cast as 1.00500000000000 (15 digits): 1.01; the revenue is round(3.0149999…, 2): 3.01
    assert exact.fetchone() == (Decimal("1.01"), Decimal("3.01"))
    conn.rollback()


def test_text_arrives_intact_whatever_the_client_encoding(stores: tuple[Database, psycopg.Connection]) -> None:
    db, conn = stores
    db.products.insert_one(
        {"_id": "P-é", "sku": "S-e", "name": "é", "category": "Toys", "price": 1.0}, bypass_document_validation=True
    )
    db.orders.insert_many(_awkward_orders()[:4])
    conn.execute("set client_encoding to 'LATIN1'")
    conn.commit()
    _load(db, conn)
    assert conn.info.encoding == "iso8859-1"  # the loader's setting ended with its transaction
    texts = conn.execute(
        "select distinct o.status, i.product_id from raw.orders o join raw.order_items i using (order_id)"
        " where o.order_id like 'A-%' and i.line_number = 1"
    ).fetchall()
    assert set(texts) == {("placed", "P-é"), ("en préparation", "P-é")}


def test_a_failure_while_reading_leaves_the_window_as_it_was(stores: tuple[Database, psycopg.Connection]) -> None:
    db, conn = stores
    _load(db, conn)
    before = _checksum(conn)
    broken = bson.encode(dict(_order(9999), customer_id="C1"))
    broken = broken.replace(b"C1\x00", b"\xff\xfe\x00", 1)  # not UTF-8: strict decoding fails, as it always did
    db.orders.insert_one(RawBSONDocument(broken))
    with pytest.raises(bson.errors.InvalidBSON):
        _load(db, conn, batch_size=100)
    assert _checksum(conn) == before


def test_reconciliation_fails_when_postgres_differs(stores: tuple[Database, psycopg.Connection]) -> None:
    db, conn = stores
    _load(db, conn)
    conn.execute("delete from raw.order_items where order_id = 'O-00007' and line_number = 2")
    conn.commit()
    assert not reconcile_orders(db, conn, *WINDOW).passed


def test_servers_that_are_down_fail_fast_naming_them() -> None:
    started = time.monotonic()
    down = PostgresResource(url="postgresql://postgres@127.0.0.1:1/shopease", connect_timeout_s=2)
    with pytest.raises(ServiceError, match="SHOPEASE_POSTGRES_URL"), down.connect():
        pass
    with pytest.raises(ServiceError, match="SHOPEASE_MONGODB_URI"):
        MongoResource(uri="mongodb://127.0.0.1:1/?replicaSet=rs0", connect_timeout_s=1).get_database()
    assert time.monotonic() - started < 15


def test_a_group_of_windows_loads_in_one_go_and_keeps_each_reject_in_its_window(
    stores: tuple[Database, psycopg.Connection],
) -> None:
    """Three windows replaced at once: rejects are recorded under the window their order belongs to, and a
    re-run of the group replaces the group's rejects (none left over, none doubled)."""
    db, conn = stores
    group = (T0 - timedelta(hours=3), T0 + timedelta(hours=6))
    late = dict(_order(9000), _id="BAD-late", customer_id="C404", ordered_at=T0 + timedelta(hours=4))
    early = dict(_order(9001), _id="BAD-early", items=[], ordered_at=T0 - timedelta(hours=2))
    db.orders.insert_many([late, early], bypass_document_validation=True)  # malformed on purpose
    for _ in range(2):
        with conn.transaction():
            result = loader.load_orders(db, conn, group)
        assert (result.rows["orders"], result.rejected["orders"]) == (2500, 2)
        rows = conn.execute(
            "select source_id, window_start from raw.rejected_documents where collection = 'orders' order by 1"
        ).fetchall()
        assert rows == [("BAD-early", T0 - timedelta(hours=3)), ("BAD-late", T0 + timedelta(hours=3))]
    assert reconcile_orders(db, conn, *group).passed
