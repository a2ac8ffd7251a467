"""`shopease mongo-report`'s analyses equal the same questions asked of the SQL marts, after a run of the whole
graph and after a re-run of one of its windows, and the re-run leaves `order_items` identical."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pymongo
import pytest
from pymongo.database import Database

from shopease_platform.mongo_store import analyses
from shopease_platform.mongo_store.reports import all_reports, render
from shopease_platform.orchestration.jobs import WINDOW_JOB
from shopease_platform.services import Endpoints
from tests.conftest import fresh_databases
from tests.e2e.conftest import RANGE_TAGS, Platform, small_platform
from tests.mongo_checks import assert_stock_reconciles, collection_checksum

pytestmark = [pytest.mark.integration, pytest.mark.slow]
FIRST, LAST = "2026-03-01-00:00", "2026-03-03-21:00"
LOW_STOCK = ("P00001", "P00002", "P00003", "P00004", "P00005")


@pytest.fixture(scope="module")
def landed(services: Endpoints) -> Iterator[tuple[Platform, Database]]:
    """Three days through the window job; a few products start nearly empty so some sell out."""
    with fresh_databases(services, "mongo_report_marts") as stores:
        platform = small_platform(services, stores)
        assert platform.materialize_static().success
        client: pymongo.MongoClient = pymongo.MongoClient(services.mongodb_uri, tz_aware=True)
        db = client[platform.mongo_database]
        db.products.update_many({"_id": {"$in": list(LOW_STOCK)}}, {"$set": {"initial_stock": 2, "stock": 2}})
        assert _run(platform, FIRST, LAST).success
        yield platform, db
        client.close()


def _run(platform: Platform, first: str, last: str) -> Any:
    return platform.run_job(WINDOW_JOB, tags=dict(zip(RANGE_TAGS, (first, last), strict=True)))


MART_QUERIES = {
    "revenue_by_category": """select category, sum(total_sales) from analytics.mart_category_performance
                              group by category order by sum(total_sales) desc, category""",
    "top_customer": """select customer_id, order_count, lifetime_revenue from analytics.dim_customers
                       order by lifetime_revenue desc, customer_id collate "C" limit 1""",
    "inactive_customers": """select customer_id from analytics.dim_customers where order_count = 0
                             order by customer_id collate "C" """,
    "top_selling_product": """select product_id, sum(total_quantity) from analytics.mart_product_popularity
                              where period_grain = 'month'
                              group by product_id order by sum(total_quantity) desc, product_id collate "C"
                              limit 1""",
    "out_of_stock_products": """select product_id from analytics.dim_products where is_out_of_stock
                                order by product_id collate "C" """,
    "total_revenue": "select sum(order_revenue) from analytics.fct_orders",
}
CONCENTRATION_ON_RAW = """
with sales as (
    select orders.customer_id, sum(items.line_revenue) as sales
    from raw.order_items as items join raw.orders as orders on orders.order_id = items.order_id
    group by orders.customer_id
),
ranked as (
    select sales, row_number() over (order by sales desc, customer_id collate "C") as position,
           count(*) over () as customers, sum(sales) over () as total
    from sales
)
select min(customers), count(*), sum(sales), min(total) from ranked where position <= ceil(0.05 * customers)
"""
"""The top 5% customers' share asked of `raw` (the marts hold it at period grains; this is the whole range)."""


def _marts(platform: Platform) -> dict[str, Any]:
    """Each analysis asked of the marts, the concentration of the raw tables."""
    with psycopg.connect(platform.postgres_url) as conn:
        rows = {name: conn.execute(query).fetchall() for name, query in MART_QUERIES.items()}
        concentration = conn.execute(CONCENTRATION_ON_RAW).fetchone()
    assert concentration is not None and concentration[1] == math.ceil(0.05 * concentration[0])
    return {
        "revenue_by_category": dict(rows["revenue_by_category"]),
        "top_customer": rows["top_customer"][0],
        "inactive_customers": [customer_id for (customer_id,) in rows["inactive_customers"]],
        "top_selling_product": rows["top_selling_product"][0],
        "out_of_stock_products": [product_id for (product_id,) in rows["out_of_stock_products"]],
        "total_revenue": rows["total_revenue"][0][0],
        "concentration": concentration,
    }


def _mongo(db: Database) -> dict[str, Any]:
    customer = analyses.top_customer(db)
    product = analyses.top_selling_product(db)
    concentration = analyses.customer_concentration(db)
    assert customer is not None and product is not None
    return {
        "revenue_by_category": analyses.revenue_by_category(db),
        "top_customer": (customer.customer_id, customer.orders, customer.spent),
        "inactive_customers": analyses.inactive_customers(db),
        "top_selling_product": (product.product_id, product.units),
        "out_of_stock_products": [p.product_id for p in analyses.out_of_stock_products(db)],
        "total_revenue": analyses.total_revenue(db),
        "concentration": (
            concentration.customers,
            concentration.top_customers,
            concentration.top_sales,
            concentration.total_sales,
        ),
    }


def _assert_agree(platform: Platform, db: Database) -> dict[str, Any]:
    mongo, marts = _mongo(db), _marts(platform)
    for name, answer in marts.items():
        assert mongo[name] == answer, name
    assert list(mongo["revenue_by_category"].values()) == sorted(marts["revenue_by_category"].values(), reverse=True)
    assert sum(mongo["revenue_by_category"].values()) == mongo["total_revenue"]
    assert all(
        isinstance(v, Decimal) and v == v.quantize(Decimal("0.01")) for v in marts["revenue_by_category"].values()
    )
    return mongo


def test_the_report_equals_the_marts_after_a_run(landed: tuple[Platform, Database]) -> None:
    platform, db = landed
    answers = _assert_agree(platform, db)
    assert len(answers["revenue_by_category"]) > 3 and answers["total_revenue"] > 0
    assert answers["inactive_customers"] and set(answers["out_of_stock_products"]) & set(LOW_STOCK)
    assert 0 < answers["concentration"][2] < answers["concentration"][3]
    assert_stock_reconciles(db)
    text = "\n".join(render(report) for report in all_reports(db))
    assert f"{answers['total_revenue']:,.2f}" in text and "top 5% of customers account for" in text


def test_a_rerun_of_a_window_leaves_order_items_identical_and_the_report_equal(
    landed: tuple[Platform, Database],
) -> None:
    platform, db = landed
    before = collection_checksum(db, "order_items")
    assert before[0] == sum(len(order["items"]) for order in db.orders.find({}, {"items": 1}))
    assert _run(platform, "2026-03-02-06:00", "2026-03-02-06:00").success
    assert collection_checksum(db, "order_items") == before
    _assert_agree(platform, db)


def test_the_lookups_use_their_indexes(landed: tuple[Platform, Database]) -> None:
    _, db = landed
    assert analyses.lookup_indexes(db) == {
        "revenue_by_category": ["product_id_1_quantity_1_unit_price_1"],
        "top_customer": ["_id_", "customer_id_1_order_total_1"],
        "inactive_customers": ["customer_id_1_order_total_1"],
    }


def test_the_command_prints_the_analyses_and_their_index_use(
    services: Endpoints, landed: tuple[Platform, Database]
) -> None:
    platform, db = landed
    env = {**os.environ, "SHOPEASE_MONGODB_URI": services.mongodb_uri, "SHOPEASE_POSTGRES_URL": platform.postgres_url,
           "SHOPEASE_MONGODB_DATABASE": platform.mongo_database}  # fmt: skip
    command = [sys.executable, "-m", "shopease_platform.cli", "mongo-report", "--explain"]
    printed = subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=120).stdout
    spent = analyses.top_customer(db)
    assert spent is not None and f"{spent.customer_id}" in printed and f"{spent.spent:,.2f}" in printed
    assert f"Inactive customers (no orders): {len(analyses.inactive_customers(db))}" in printed
    assert "revenue_by_category: $lookup uses product_id_1_quantity_1_unit_price_1" in printed
    assert "inactive_customers: $lookup uses customer_id_1_order_total_1" in printed
