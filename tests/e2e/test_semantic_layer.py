"""The metrics are defined once, in dbt's semantic layer, and the marts the deliverables read agree with them.

`mf validate-configs` checks the definitions (semantic models, measures, metrics, time spine). `mf query`
then computes the metrics at the grains the dashboard reads, on four real simulated months, and the rollup
mart and the concentration mart must equal those answers and SQL on `raw`.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import psycopg
import pytest

from shopease_platform.settings import dbt_profile_env
from tests.e2e.conftest import Platform
from tests.e2e.raw_oracle import RawOracle, Slice

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DBT_DIR = Path(__file__).resolve().parents[2] / "dbt"
MF = Path(sys.executable).with_name("mf")


def _mf(args: list[str], postgres_url: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `mf` on a semantic manifest parsed for this database.

    `mf` reads `target/semantic_manifest.json`, whose relations carry the database name of the parse that wrote
    it, so a query against another database parses first with the same profile settings.
    """
    env = {**os.environ, "DBT_PROFILES_DIR": str(DBT_DIR), **(dbt_profile_env(postgres_url) if postgres_url else {})}
    if postgres_url:
        parse = subprocess.run([str(MF.with_name("dbt")), "parse", "--quiet"], cwd=DBT_DIR, env=env,
                               capture_output=True, text=True, timeout=300)  # fmt: skip
        assert parse.returncode == 0, parse.stdout + parse.stderr
    return subprocess.run([str(MF), *args], cwd=DBT_DIR, env=env, capture_output=True, text=True, timeout=300)


def test_metric_definitions_validate() -> None:
    done = _mf(["validate-configs", "--skip-dw"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ERRORS: 0" in done.stdout, done.stdout


def test_rollup_mart_equals_metric_queries_and_raw(four_months: Platform, tmp_path: Path) -> None:
    out = tmp_path / "metrics.csv"
    done = _mf(["query", "--metrics", "orders,units,sales,average_order_value",
                "--group-by", "metric_time__month,order_line__category", "--csv", str(out), "--quiet"],
               four_months.postgres_url)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    with out.open() as handle:
        metrics = {(row["metric_time__month"][:10], row["order_line__category"]): row for row in csv.DictReader(handle)}
    assert len(metrics) > 40
    with psycopg.connect(four_months.postgres_url) as conn:
        oracle = RawOracle(conn)
        # Summing the store x category rows over stores is allowed: an order has one store.
        marts = {
            (str(month), category): (int(orders), int(units), float(sales))
            for month, category, orders, units, sales in conn.execute(
                """select month_start, category, sum(order_count), sum(total_quantity), sum(total_sales)
                   from analytics.mart_sales_rollup_monthly where rollup_grain = 'store_category' group by 1, 2"""
            )
        }
        assert set(marts) == set(metrics)
        for key, (orders, units, sales) in marts.items():
            row = metrics[key]
            assert (orders, units) == (int(row["orders"]), int(row["units"])), key
            assert sales == pytest.approx(float(row["sales"]), abs=0.005), key
            assert float(row["average_order_value"]) == pytest.approx(sales / orders, rel=1e-9), key
        month, category = sorted(marts)[-1]
        raw = oracle.totals(Slice(month_start=date.fromisoformat(month), category=category))
        assert marts[(month, category)] == pytest.approx((raw["orders"], raw["quantity"], raw["sales"]), abs=0.005)


def test_all_categories_rows_count_each_order_once(four_months: Platform) -> None:
    with psycopg.connect(four_months.postgres_url) as conn:
        oracle = RawOracle(conn)
        whole = conn.execute(
            """select sum(order_count) filter (where rollup_grain = 'store'),
                      sum(order_count) filter (where rollup_grain = 'state'),
                      sum(order_count) filter (where rollup_grain = 'store_category')
               from analytics.mart_sales_rollup_monthly"""
        ).fetchone()
        orders = oracle.totals(Slice())["orders"]
        assert whole[0] == whole[1] == orders
        assert whole[2] > orders  # the category rows are not additive, and the mart says so


def test_customer_concentration_equals_raw(four_months: Platform) -> None:
    with psycopg.connect(four_months.postgres_url) as conn:
        oracle = RawOracle(conn)
        rows = conn.execute(
            "select period_grain, period_start, top_customer_share from analytics.mart_customer_concentration"
        ).fetchall()
        assert {grain for grain, _, _ in rows} == {"all", "year", "month"}
        for grain, start, share in rows:
            where = (
                Slice() if grain == "all" else Slice(year=start.year) if grain == "year" else Slice(month_start=start)
            )
            assert float(share) == pytest.approx(oracle.top_customer_share(where), abs=1e-6), (grain, start)
