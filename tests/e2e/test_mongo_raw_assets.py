"""Simulation -> MongoDB through Dagster: idempotent windows, reconciled stock, the MongoDB reports."""

from __future__ import annotations

import pymongo
import pytest

from shopease_platform.mongo_store.reports import all_reports, render
from shopease_platform.services import Endpoints
from tests.e2e.conftest import Platform
from tests.mongo_checks import assert_stock_reconciles

pytestmark = pytest.mark.integration


def _db(services: Endpoints, platform: Platform) -> pymongo.database.Database:
    return pymongo.MongoClient(services.mongodb_uri, tz_aware=True)[platform.mongo_database]


def test_windows_land_once_and_stock_reconciles(services: Endpoints, platform: Platform) -> None:
    assert platform.materialize_static().success
    result = platform.materialize_windows("2026-03-01-00:00", "2026-03-02-21:00")
    assert result.success
    db = _db(services, platform)
    orders = db.orders.count_documents({})
    assert orders > 100
    assert db.products.count_documents({}) == 300
    assert db.customers.count_documents({}) > 0
    materialization = result.asset_materializations_for_node("mongo__raw_orders")[0]
    assert materialization.metadata["orders_inserted"].value == orders

    first_window_orders = sorted(db.orders.find({"_id": {"$regex": "^O-000000-"}}), key=lambda d: d["_id"])
    for _ in range(3):
        assert platform.materialize_windows("2026-03-01-00:00", "2026-03-01-00:00").success
    assert db.orders.count_documents({}) == orders
    assert sorted(db.orders.find({"_id": {"$regex": "^O-000000-"}}), key=lambda d: d["_id"]) == first_window_orders

    assert_stock_reconciles(db)

    known_customers = set(db.customers.distinct("_id"))
    assert set(db.orders.distinct("customer_id")) <= known_customers

    reports = all_reports(db)
    assert len(reports) == 6
    text = "\n".join(render(r) for r in reports)
    for title in ("Revenue by category", "Top customer", "Inactive customers", "Top-selling product", "Out-of-stock",
                  "Total revenue"):  # fmt: skip
        assert title in text


def test_a_history_starting_late_shows_the_prices_in_force(services: Endpoints, platform: Platform) -> None:
    """Price changes before the first materialized window still reach the catalog (and so raw.products)."""
    from datetime import UTC, datetime

    from shopease_platform.simulation import build_catalog, price_at

    assert platform.materialize_static().success
    assert platform.materialize_windows("2026-06-10-00:00", "2026-06-10-21:00").success
    config = platform.defs.resources["simulation"].config()  # type: ignore[union-attr]
    expected = dict(
        zip(build_catalog(config).product_ids, price_at(config, datetime(2026, 6, 10, 21, tzinfo=UTC)).tolist(),
            strict=True)
    )  # fmt: skip
    db = _db(services, platform)
    actual = {p["_id"]: p["price"] for p in db.products.find({}, {"price": 1})}
    assert actual == expected
    assert sum(expected[p] != base for p, base in zip(expected, build_catalog(config).base_price, strict=True)) > 20
    for order in db.orders.find().limit(50):
        for item in order["items"]:
            assert item["unit_price"] == pytest.approx(
                price_at(config, order["ordered_at"])[int(item["product_id"][1:]) - 1]
            )
