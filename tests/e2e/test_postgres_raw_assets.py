"""MongoDB -> PostgreSQL raw tables through Dagster: exact, idempotent per window, loud about bad documents."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
import pymongo
import pytest

from shopease_platform.services import Endpoints
from tests.e2e.conftest import Platform

pytestmark = pytest.mark.integration
FIRST, LAST = "2026-03-01-00:00", "2026-03-01-21:00"


def _checksums(url: str) -> tuple[Any, ...]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            """select (select md5(string_agg(concat_ws('|', order_id, customer_id, store_id, ordered_at, order_total),
                                              ',' order by order_id)) from raw.orders),
                      (select md5(string_agg(concat_ws('|', order_id, line_number, product_id, quantity, unit_price),
                                              ',' order by order_id, line_number)) from raw.order_items),
                      (select count(*) from raw.orders), (select count(*) from raw.order_items),
                      (select coalesce(sum(line_revenue), 0) from raw.order_items)"""
        ).fetchone()


def _checks(result: Any) -> dict[str, Any]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_raw_tables_equal_mongodb_and_reruns_change_nothing(services: Endpoints, platform: Platform) -> None:
    assert platform.materialize_static().success
    result = platform.materialize_windows(FIRST, LAST)
    assert result.success
    checks = _checks(result)
    assert checks["reconciles_with_mongodb"].passed
    assert checks["rejected_documents"].passed

    db = pymongo.MongoClient(services.mongodb_uri, tz_aware=True)[platform.mongo_database]
    orders = list(db.orders.find())
    first = _checksums(platform.postgres_url)
    assert first[2] == len(orders) > 100
    assert first[3] == sum(len(o["items"]) for o in orders)
    assert float(first[4]) == pytest.approx(sum(i["quantity"] * i["unit_price"] for o in orders for i in o["items"]))
    with psycopg.connect(platform.postgres_url) as conn:
        customers = conn.execute("select count(*) from raw.customers").fetchone()[0]
        missing = conn.execute(
            "select count(*) from raw.orders o left join raw.customers c using (customer_id) where c is null"
        ).fetchone()[0]
        products = conn.execute("select count(*) from raw.products").fetchone()[0]
    assert customers > 0 and missing == 0 and products == 300

    for _ in range(3):
        assert platform.materialize_windows(FIRST, LAST).success
    assert _checksums(platform.postgres_url) == first
    materialization = result.asset_materializations_for_node("raw_orders_and_items")[0]
    assert materialization.metadata["dagster/row_count"].value == len(orders)
    assert materialization.metadata["rows_per_second"].value > 0


def test_malformed_orders_are_quarantined_and_flagged(services: Endpoints, platform: Platform) -> None:
    assert platform.materialize_static().success
    assert platform.materialize_windows(FIRST, FIRST).success
    db = pymongo.MongoClient(services.mongodb_uri, tz_aware=True)[platform.mongo_database]
    good = db.orders.find_one({}, sort=[("_id", 1)])
    at = datetime(2026, 3, 1, 1, tzinfo=UTC)
    broken = [
        {**good, "_id": "BAD-QTY", "ordered_at": at, "items": [{**good["items"][0], "quantity": 0}]},
        {**good, "_id": "BAD-PRODUCT", "ordered_at": at, "items": [{**good["items"][0], "product_id": "P99999"}]},
        {**good, "_id": "BAD-CUSTOMER", "ordered_at": at, "customer_id": "C-nobody"},
    ]
    with pytest.raises(pymongo.errors.WriteError, match="Document failed validation"):
        db.orders.insert_one(broken[0])  # a zero quantity breaks the orders validator
    db.orders.insert_many(broken, bypass_document_validation=True)  # as a tool that bypasses it would write them
    before = _checksums(platform.postgres_url)

    result = platform.materialize_windows(FIRST, FIRST)
    assert result.success
    checks = _checks(result)
    assert checks["reconciles_with_mongodb"].passed
    assert not checks["rejected_documents"].passed
    assert _checksums(platform.postgres_url)[:4] == before[:4]
    with psycopg.connect(platform.postgres_url) as conn:
        rows = dict(
            conn.execute("select source_id, reason from raw.rejected_documents where collection = 'orders'").fetchall()
        )
    assert set(rows) == {"BAD-QTY", "BAD-PRODUCT", "BAD-CUSTOMER"}
    assert len(set(rows.values())) == 3
