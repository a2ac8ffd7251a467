"""The HTML dashboard in a real headless Chromium: offline, error-free, and its filters show the marts' numbers.

The page is generated from the fixture marts, opened from file://, and every number the tests read (the
`data-value` attributes) is checked against a query of the same marts. Chromium is the Debian package
(`apt-get install -y chromium`); Playwright only drives it, so no browser is ever downloaded.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from shopease_platform.delivery import write_dashboard
from shopease_platform.services import Endpoints
from shopease_platform.settings import with_database
from tests.integration.mart_fixture import build_marts

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("SHOPEASE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
CHARTS = ("chart-top-orders", "chart-top-quantity", "chart-revenue-leaders", "chart-category-performance",
          "chart-order-trend", "chart-state-map", "chart-state-bars", "chart-new-returning",
          "chart-category-elasticity")  # fmt: skip
TABLES = ("table-category-performance", "table-popularity", "table-state-ranking", "table-state-top-products",
          "table-repeat-purchase", "table-seasonal-spikes", "table-price-sensitivity")  # fmt: skip
DATABASE = "t_browser_dashboard"


def artifacts_dir() -> Path:
    """Screenshots for a human (or CI) to look at: SHOPEASE_TEST_ARTIFACTS, else .shopease/test-artifacts."""
    folder = Path(os.environ.get("SHOPEASE_TEST_ARTIFACTS") or ROOT / ".shopease" / "test-artifacts") / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Dashboard:
    url: str
    pg_url: str

    def query(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.pg_url) as conn:
            return conn.execute(statement, params).fetchall()


@pytest.fixture(scope="module")
def dashboard(services: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """The fixture marts in a database of their own, and the page generated from them."""
    server = with_database(services.postgres_url, "postgres")
    drop = sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(DATABASE))
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(drop)
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(DATABASE)))
    pg_url = with_database(services.postgres_url, DATABASE)
    try:
        with psycopg.connect(pg_url) as conn:
            build_marts(conn)
            result = write_dashboard(conn, tmp_path_factory.mktemp("dashboard"))
        yield Dashboard(result.path.as_uri(), pg_url)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(drop)


@pytest.fixture(scope="module")
def browser_context() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install it (Debian: apt-get install -y chromium) or set SHOPEASE_CHROMIUM"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: it comes with the test extra (pip install -e '.[test]')")
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 900},
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


@dataclass
class Watched:
    """A page with everything it logged and everything it tried to fetch."""

    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def value(self, selector: str) -> float:
        return float(self.page.get_attribute(selector, "data-value"))

    def marks(self, selector: str) -> dict[str, float]:
        return dict(self.page.eval_on_selector_all(
            selector, "els => els.map(e => [e.dataset.key || e.dataset.state, Number(e.dataset.value)])"
        ))  # fmt: skip

    def select(self, testid: str, value: str) -> None:
        self.page.select_option(f'[data-testid="{testid}"]', value)


@pytest.fixture
def page(browser_context: Any, dashboard: Dashboard) -> Iterator[Watched]:
    page = browser_context.new_page()
    watched = Watched(page)
    page.on("console", lambda message: message.type == "error" and watched.errors.append(message.text))
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    page.on("request", lambda request: watched.requests.append(request.url))

    def refuse_network(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", refuse_network)
    page.goto(dashboard.url)
    page.wait_for_selector("body[data-ready='true']")
    yield watched
    page.close()
    assert watched.errors == []
    assert watched.requests == [dashboard.url]


def test_page_renders_offline_without_errors(page: Watched, tmp_path: Path) -> None:
    assert page.page.locator('[data-testid="error"]').count() == 0
    for testid in CHARTS:
        assert page.page.locator(f'[data-testid="{testid}"] svg.chart').count() == 1, testid
        assert page.page.locator(f'[data-testid="{testid}"] [data-testid="empty"]').count() == 0, testid
    for testid in TABLES:
        assert page.page.locator(f'[data-testid="{testid}"] tbody tr[data-testid="row"]').count() > 0, testid
    assert page.page.locator('[data-testid="state-tile"]').count() == 51
    assert page.page.locator('[data-testid="map-legend"] [data-testid="legend-item"]').count() == 6
    page.page.screenshot(path=str(tmp_path / "popularity.png"), full_page=True)
    page.page.screenshot(path=str(artifacts_dir() / "dashboard-popularity.png"), full_page=True)
    page.page.click('[data-testid="tab-states"]')
    assert page.page.locator('[data-testid="panel-states"]').is_visible()
    page.page.screenshot(path=str(artifacts_dir() / "dashboard-states.png"), full_page=True)
    assert (tmp_path / "popularity.png").stat().st_size > 10_000


def test_category_filter_recomputes_totals_and_top_products(page: Watched, dashboard: Dashboard) -> None:
    all_sales = page.value('[data-testid="kpi-pop-sales"]')
    assert all_sales == pytest.approx(
        float(dashboard.query("select sum(total_sales) from analytics.mart_product_sales_daily")[0][0]), abs=0.01
    )
    page.select("filter-pop-category", "Toys & Games")
    sales, quantity = dashboard.query(
        "select sum(total_sales), sum(total_quantity) from analytics.mart_product_sales_daily where category = %s",
        ("Toys & Games",),
    )[0]
    assert page.value('[data-testid="kpi-pop-sales"]') == pytest.approx(float(sales), abs=0.01) != all_sales
    assert page.value('[data-testid="kpi-pop-quantity"]') == quantity
    orders = dict(dashboard.query(
        """select product_id, sum(order_count) from analytics.mart_product_sales_daily where category = %s
           group by product_id""",
        ("Toys & Games",),
    ))  # fmt: skip
    bars = page.marks('[data-testid="chart-top-orders"] [data-testid="bar"]')
    assert bars == {product: float(count) for product, count in orders.items()}  # three toys: all of them shown


def test_period_and_store_filters_match_the_marts(page: Watched, dashboard: Dashboard) -> None:
    page.select("filter-pop-year", "2026")
    page.select("filter-pop-month", "1")
    orders = dashboard.query(
        "select sum(order_count) from analytics.mart_order_trend where order_date between '2026-01-01' and '2026-01-31'"
    )[0][0]
    assert page.value('[data-testid="kpi-pop-orders"]') == orders
    leaders = dict(dashboard.query(
        """select product_id, total_sales from analytics.mart_revenue_leaders
           where period_grain = 'month' and period_start = '2026-01-01'"""
    ))  # fmt: skip
    assert page.marks('[data-testid="chart-revenue-leaders"] [data-testid="bar"]') == pytest.approx(
        {product: float(value) for product, value in leaders.items()}
    )
    ranked = dashboard.query(
        """select product_id, rank_by_orders from analytics.mart_product_popularity
           where period_grain = 'month' and period_start = '2026-01-01' order by rank_by_orders, product_id"""
    )
    keys = page.page.eval_on_selector_all(
        '[data-testid="table-popularity"] tbody tr[data-testid="row"]', "rows => rows.map(r => r.dataset.key)"
    )
    assert len(keys) == len(ranked)
    assert [rank for _, rank in ranked] == sorted(dict(ranked)[key] for key in keys)

    page.select("filter-pop-store", "S001")
    sales = dashboard.query(
        """select sum(total_sales) from analytics.mart_product_sales_daily
           where store_id = 'S001' and order_date between '2026-01-01' and '2026-01-31'"""
    )[0][0]
    assert page.value('[data-testid="kpi-pop-sales"]') == pytest.approx(float(sales), abs=0.01)

    page.select("filter-pop-store", "")
    page.select("filter-pop-month", "")
    page.select("filter-pop-year", "")
    page.select("trend-granularity", "month")
    monthly = dashboard.query(
        """select to_char(order_date, 'YYYY-MM'), sum(order_count) from analytics.mart_order_trend
           group by 1 order by 1"""
    )
    points = page.page.eval_on_selector_all(
        '[data-testid="chart-order-trend"] [data-testid="point"]',
        "ps => ps.map(p => [p.dataset.period, +p.dataset.value])",
    )
    assert [tuple(point) for point in points] == [(month, float(count)) for month, count in monthly]


def test_state_drilldown_colours_states_by_the_product(page: Watched, dashboard: Dashboard) -> None:
    page.page.click('[data-testid="tab-states"]')
    everything = dict(dashboard.query(
        "select state_code, sum(total_quantity) from analytics.mart_state_sales_monthly group by 1"
    ))  # fmt: skip
    tiles = page.marks('[data-testid="state-tile"]')
    assert {state: value for state, value in tiles.items() if value} == {s: float(q) for s, q in everything.items()}

    product = dashboard.query(
        """select product_id from analytics.mart_state_product_monthly group by product_id
           order by sum(total_quantity) desc, product_id limit 1"""
    )[0][0]
    page.select("filter-geo-product", product)
    for metric, column in (("quantity", "total_quantity"), ("sales", "total_sales")):
        page.select("filter-geo-metric", metric)
        expected = dict(dashboard.query(
            f"""select state_code, sum({column}) from analytics.mart_state_product_monthly
                where product_id = %s group by 1""",
            (product,),
        ))  # fmt: skip
        tiles = page.marks('[data-testid="state-tile"]')
        assert {state: value for state, value in tiles.items() if value} == pytest.approx(
            {state: float(value) for state, value in expected.items()}
        )
        assert page.value('[data-testid="kpi-geo-states"]') == len(expected)
        bars = page.marks('[data-testid="chart-state-bars"] [data-testid="bar"]')
        assert set(bars) == set(expected)

    page.select("filter-geo-metric", "quantity")
    page.select("filter-geo-year", "2026")
    page.select("filter-geo-month", "1")
    top = dict(dashboard.query(
        """select state_code, product_name from analytics.mart_state_top_products
           where period_grain = 'month' and period_start = '2026-01-01' and ranking_metric = 'quantity'"""
    ))  # fmt: skip
    shown = dict(page.page.eval_on_selector_all(
        '[data-testid="table-state-top-products"] tbody tr[data-testid="row"]',
        "rows => rows.map(r => [r.dataset.key, r.querySelector('[data-col=product_name]').textContent])",
    ))  # fmt: skip
    assert shown == top  # names with quotes, & and < arrive as text, unescaped once
