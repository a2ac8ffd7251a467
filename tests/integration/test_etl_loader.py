"""The loader against real servers: exact, idempotent, atomic per window, and loud about bad input."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pymongo
import pytest
from pymongo.database import Database

from shopease_platform.checks.reconciliation import reconcile_orders
from shopease_platform.etl import loader
from shopease_platform.etl.tables import ensure_raw_tables
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
    db.products.insert_many(
        [{"_id": f"P{i}", "sku": f"S{i}", "name": "x", "category": "Toys", "price": 1.0} for i in range(10)]
    )
    db.stores.insert_one({"_id": "S000", "name": "Online", "kind": "online"})
    db.customers.insert_many(
        [{"_id": f"C{i}", "email": f"c{i}@x", "created_at": T0 - timedelta(days=1)} for i in range(20)]
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
    db.orders.insert_many(bad)

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
