"""Four simulated months (September to December) through the whole graph: the marts agree with plain SQL on the
raw tables, recover the simulation's planted truth, and their tests catch a corrupted raw row.

September to December holds the planted November-December peak (against September-October), two opposite
category seasons (heating rises, outdoor falls) and about 600 price changes, at a third of a year's cost.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
import psycopg
import pytest

from shopease_platform.orchestration.jobs import WINDOW_JOB
from shopease_platform.simulation import SimulationConfig
from shopease_platform.simulation.windows import volume_multiplier
from tests.e2e.conftest import Platform

pytestmark = [pytest.mark.integration, pytest.mark.slow]
YEAR = 2025
MONTH = datetime(YEAR, 10, 1).date()
FIRST_DAY = datetime(YEAR, 9, 1).date()
DAYS = [FIRST_DAY + timedelta(days=d) for d in range(122)]


@pytest.fixture(scope="module")
def year(four_months: Platform) -> Platform:
    """September-December 2025 through the whole graph (see tests/e2e/conftest.py)."""
    return four_months


def _rows(platform: Platform, query: str, params: dict[str, Any] | None = None) -> list[tuple]:
    with psycopg.connect(platform.postgres_url) as conn:
        return conn.execute(query, params or {}).fetchall()


PERIOD = {"start": datetime(YEAR, 10, 1, tzinfo=UTC), "end": datetime(YEAR, 11, 1, tzinfo=UTC)}
RAW_PRODUCT_TOTALS = """
    select i.product_id, count(distinct i.order_id) as orders, sum(i.quantity) as quantity,
           sum(i.line_revenue) as sales
    from raw.order_items i
    where i.ordered_at >= %(start)s and i.ordered_at < %(end)s
    group by i.product_id
"""


def test_top_products_and_category_revenue_equal_plain_sql_on_raw(year: Platform) -> None:
    by_orders = _rows(year, f"select product_id, orders, sales from ({RAW_PRODUCT_TOTALS}) t "
                            "order by orders desc, sales desc, product_id limit 10", PERIOD)  # fmt: skip
    by_sales = _rows(year, f"select product_id, sales, orders from ({RAW_PRODUCT_TOTALS}) t "
                           "order by sales desc, orders desc, product_id limit 10", PERIOD)  # fmt: skip
    mart_by_orders = _rows(
        year,
        """select product_id, order_count, total_sales from analytics.mart_product_popularity
        where period_grain = 'month' and period_start = %(month)s order by rank_by_orders limit 10""",
        {"month": MONTH},
    )
    mart_by_sales = _rows(
        year,
        """select product_id, total_sales, order_count from analytics.mart_product_popularity
        where period_grain = 'month' and period_start = %(month)s order by rank_by_sales limit 10""",
        {"month": MONTH},
    )
    assert len(by_orders) == 10
    assert mart_by_orders == by_orders
    assert mart_by_sales == by_sales

    category_revenue = _rows(year, """select p.category, sum(i.line_revenue) from raw.order_items i
        join raw.products p using (product_id) where i.ordered_at >= %(start)s and i.ordered_at < %(end)s
        group by p.category order by p.category""", PERIOD)  # fmt: skip
    mart_revenue = _rows(year, """select category, total_sales from analytics.mart_category_performance
        where month_start = %(month)s order by category""", {"month": MONTH})  # fmt: skip
    assert mart_revenue == category_revenue


def test_each_states_number_one_product_equals_plain_sql_on_raw(year: Platform) -> None:
    for metric, order in (("quantity", "quantity desc, sales desc"), ("sales", "sales desc, quantity desc")):
        expected = _state_leaders(year, order)
        actual = _rows(year, """select state_code, product_id from analytics.mart_state_top_products
            where period_grain = 'month' and period_start = %(month)s and ranking_metric = %(metric)s
            order by state_code""", {"month": MONTH, "metric": metric})  # fmt: skip
        assert len(expected) > 20
        assert actual == expected, metric


def _state_leaders(platform: Platform, order: str, period: dict[str, datetime] = PERIOD) -> list[tuple]:
    return _rows(platform, f"""
        with per_product as (
            select c.state, i.product_id, sum(i.quantity) as quantity, sum(i.line_revenue) as sales
            from raw.order_items i
            join raw.orders o using (order_id)
            join raw.customers c using (customer_id)
            where i.ordered_at >= %(start)s and i.ordered_at < %(end)s
            group by c.state, i.product_id
        )
        select state, product_id from (
            select state, product_id,
                   row_number() over (partition by state order by {order}, product_id) as position
            from per_product
        ) ranked where position = 1 order by state""", period)  # fmt: skip


def _config(platform: Platform) -> SimulationConfig:
    return platform.defs.resources["simulation"].config()  # type: ignore[union-attr]


def test_marts_recover_the_november_december_peak(year: Platform) -> None:
    config = _config(year)
    daily = {
        d: float(n)
        for d, n in _rows(year, "select order_date, sum(order_count) from analytics.mart_order_trend group by 1")
    }
    expected = {
        day: sum(
            volume_multiplier(config, datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=3 * w))
            for w in range(8)
        )
        for day in DAYS
    }

    def peak(values: dict) -> float:
        """Mean daily orders in November-December over September-October."""
        holidays = [values.get(d, 0) for d in DAYS if d.month in (11, 12)]
        autumn = [values.get(d, 0) for d in DAYS if d.month in (9, 10)]
        return (sum(holidays) / len(holidays)) / (sum(autumn) / len(autumn))

    assert peak(daily) == pytest.approx(peak(expected), rel=0.08)
    assert peak(daily) > 1.35


def test_marts_recover_category_seasons(year: Platform) -> None:
    truth = _config(year).ground_truth
    monthly = {
        (month.month, category): float(quantity)
        for month, category, quantity in _rows(
            year, "select month_start, category, total_quantity from analytics.mart_category_performance"
        )
    }

    def relative(category: str, months: tuple[int, ...]) -> float:
        return sum(monthly[(m, category)] for m in months) / sum(monthly[(m, "Home & Kitchen")] for m in months)

    for name, high, low in (("Outdoor & Garden", (9,), (12,)), ("Heating & Comfort", (12,), (9,))):
        season = truth.categories[truth.category_index(name)].season
        planted = season[high[0] - 1] / season[low[0] - 1]
        observed = relative(name, high) / relative(name, low)
        assert observed == pytest.approx(planted, rel=0.35), name
        assert observed > 1.8, name


def test_marts_recover_the_planted_elasticities(year: Platform) -> None:
    truth = _config(year).ground_truth
    measured = dict(_rows(year, """select category, median_arc_elasticity from analytics.mart_category_price_elasticity
        where price_changes >= 15"""))  # fmt: skip
    planted = {c.name: c.elasticity for c in truth.categories if c.name in measured}
    assert len(planted) >= 6
    names = sorted(planted)
    observed = [float(measured[n]) for n in names]
    assert all(value < 0 for value in observed)
    assert _spearman([planted[n] for n in names], observed) > 0.6
    errors = [abs(float(measured[n]) - planted[n]) for n in names]
    assert sorted(errors)[len(errors) // 2] < 0.5


def _spearman(a: list[float], b: list[float]) -> float:
    def ranks(values: list[float]) -> list[float]:
        order = sorted(range(len(values)), key=values.__getitem__)
        out = [0.0] * len(values)
        for position, index in enumerate(order):
            out[index] = float(position)
        return out

    ra, rb = ranks(a), ranks(b)
    mean = (len(a) - 1) / 2
    cov = sum((x - mean) * (y - mean) for x, y in zip(ra, rb, strict=True))
    var = sum((x - mean) ** 2 for x in ra)
    return cov / var if var else math.nan


def test_a_corrupted_raw_line_fails_the_revenue_test(year: Platform) -> None:
    """The failing test stops the line before any model built on it; a run after the fix puts the marts back.

    The recovery run is needed: rebuilding a table mart drops the views on it (`mart_order_lines`), and the
    failed run skipped rebuilding them.
    """
    window = "2025-12-14-12:00"
    start = datetime(2025, 12, 14, 12, tzinfo=UTC)
    line = """(order_id, line_number) = (select order_id, line_number from raw.order_items
                                         where ordered_at >= %s order by ordered_at, order_id, line_number limit 1)"""
    dbt_keys = [
        k for k in year.defs.resolve_asset_graph().get_all_asset_keys() if k.path[0] in ("staging", "analytics")
    ]
    with psycopg.connect(year.postgres_url) as conn:
        conn.execute(f"update raw.order_items set line_revenue = line_revenue + 5 where {line}", (start,))
    try:
        result = year.run_job(WINDOW_JOB, partition_key=window, asset_selection=dbt_keys)
    finally:
        with psycopg.connect(year.postgres_url) as conn:
            conn.execute(f"update raw.order_items set line_revenue = line_revenue - 5 where {line}", (start,))
    failed = {(e.asset_key.path[-1], e.check_name) for e in result.get_asset_check_evaluations() if not e.passed}
    assert ("stg_order_items", "assert_line_revenue_is_price_times_quantity") in failed
    assert not result.success
    built = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert built and not built & {"fct_order_items", "mart_sales_rollup_monthly", "mart_product_popularity"}
    assert year.run_job(WINDOW_JOB, partition_key=window, asset_selection=dbt_keys).success


RAW_REPEAT_PURCHASE = """
    with per_customer as (
        select product_id, customer_id, count(distinct order_id) as orders
        from raw.order_items join raw.orders using (order_id)
        group by product_id, customer_id
    )
    select product_id, count(*), count(*) filter (where orders >= 2)
    from per_customer group by product_id order by product_id
"""


def test_a_window_run_rebuilds_the_whole_history_marts_to_what_sql_on_raw_says(year: Platform) -> None:
    """mart_state_top_products and mart_product_repeat_purchase rebuild only what a window touches (its months
    and the all-months leaders; the products it sold, from all their lines): after a window run over built
    marts they still equal plain SQL over the whole of `raw`."""
    dbt_keys = [
        k for k in year.defs.resolve_asset_graph().get_all_asset_keys() if k.path[0] in ("staging", "analytics")
    ]
    assert year.run_job(WINDOW_JOB, partition_key="2025-10-15-12:00", asset_selection=dbt_keys).success
    whole = {"start": datetime(YEAR, 9, 1, tzinfo=UTC), "end": datetime(YEAR + 1, 1, 1, tzinfo=UTC)}
    for grain, period, month in (("month", PERIOD, MONTH), ("all", whole, FIRST_DAY)):
        actual = _rows(year, """select state_code, product_id from analytics.mart_state_top_products
            where period_grain = %(grain)s and period_start = %(month)s and ranking_metric = 'quantity'
            order by state_code""", {"grain": grain, "month": month})  # fmt: skip
        assert actual == _state_leaders(year, "quantity desc, sales desc", period), grain
    actual = _rows(year, """select product_id, customers, repeat_customers
        from analytics.mart_product_repeat_purchase order by product_id""")  # fmt: skip
    assert actual == _rows(year, RAW_REPEAT_PURCHASE)


REQUIRED = [("fct_orders", "customer_id"), ("fct_order_items", "product_id"), ("dim_products", "category")]


@pytest.mark.parametrize(("table", "column"), REQUIRED)
def test_postgresql_refuses_a_null_in_a_required_mart_column(year: Platform, table: str, column: str) -> None:
    """Required columns of the contracted marts are `not null` constraints, enforced on every write, not tests."""
    with psycopg.connect(year.postgres_url) as conn:
        with pytest.raises(psycopg.errors.NotNullViolation, match=column):
            conn.execute(
                f"insert into analytics.{table} select (jsonb_populate_record(null::analytics.{table}, "
                f"to_jsonb(t) || jsonb_build_object('{column}', null))).* from analytics.{table} t limit 1"
            )
        conn.rollback()


def test_each_built_table_reports_its_row_count_in_a_database_of_any_name(year: Platform) -> None:
    """`dagster/row_count` on each dbt table's materialization equals count(*); views report none."""
    for table in ("fct_order_items", "mart_price_sensitivity", "dim_products"):
        event = year.instance.get_latest_materialization_event(dg.AssetKey(["analytics", table]))
        assert event is not None and event.asset_materialization is not None
        count = _rows(year, f"select count(*) from analytics.{table}")[0][0]
        assert event.asset_materialization.metadata["dagster/row_count"].value == count, table
    view = year.instance.get_latest_materialization_event(dg.AssetKey(["analytics", "mart_order_lines"]))
    assert view is not None and view.asset_materialization is not None
    assert "dagster/row_count" not in view.asset_materialization.metadata
