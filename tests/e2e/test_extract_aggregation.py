"""Tableau's default aggregation of each extract gives the right totals, checked on four real simulated months.

Each .hyper is written from the marts, then read through the Hyper API the way a sheet built by
double-clicking reads it: every measure of the .tds with its declared default aggregation, every calculated
measure with its formula. Orders, units and sales, overall and per category, state and month, must equal SQL
on `raw`.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree as ET

import psycopg
import pytest
from tableauhyperapi import Connection, CreateMode, HyperProcess, TableName, Telemetry

from shopease_platform.delivery.hyper_extracts import EXTRACTS, write_extract
from tests.e2e.conftest import Platform
from tests.e2e.raw_oracle import RawOracle, Slice

pytestmark = [pytest.mark.integration, pytest.mark.slow]
# The .tds field that answers each question, and the raw oracle's name for it.
FIELDS = {"orders": "orders", "quantity": "quantity", "sales": "line_revenue"}
GROUPS = {"category": "category", "state": "state_code", "month": "month_start"}
_TABLEAU_TO_SQL = (
    (re.compile(r"COUNTD\(\[(\w+)\]\)"), r'COUNT(DISTINCT "\1")'),
    (re.compile(r"SUM\(\[(\w+)\]\)"), r'SUM("\1")'),
    (re.compile(r"AVG\(\[(\w+)\]\)"), r'AVG("\1")'),
)


def default_aggregates(tds: Path) -> dict[str, str]:
    """{field: Hyper SQL expression} for each measure, as Tableau aggregates it by default."""
    expressions = {}
    for column in ET.parse(tds).getroot().findall("column"):
        if column.get("role") != "measure":
            continue
        name = column.get("name").strip("[]")
        calculation = column.find("calculation")
        if calculation is not None:
            formula = calculation.get("formula")
            for pattern, replacement in _TABLEAU_TO_SQL:
                formula = pattern.sub(replacement, formula)
            expressions[name] = formula
        else:
            aggregation = column.get("aggregation")
            assert aggregation, f"{tds.name}: measure {name} has no default aggregation"
            expressions[name] = {"Sum": "SUM", "Avg": "AVG", "CountD": "COUNT(DISTINCT"}[aggregation] + f'("{name}")'
    return expressions


@pytest.mark.parametrize("spec", EXTRACTS, ids=lambda spec: spec.name)
def test_default_aggregation_of_each_extract_equals_raw(four_months: Platform, tmp_path: Path, spec) -> None:
    with psycopg.connect(four_months.postgres_url) as conn:
        result = write_extract(conn, spec, tmp_path)
        oracle = RawOracle(conn)
        aggregates = default_aggregates(result.tds_path)
        table = ET.parse(result.tds_path).getroot().find("./connection/relation").get("name")
        select = ", ".join(f"{aggregates[field]} AS {what}" for what, field in FIELDS.items())
        with (
            HyperProcess(Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU, parameters={"log_config": ""}) as hyper,
            Connection(hyper.endpoint, str(result.path), CreateMode.NONE) as extract,
        ):
            name = TableName("Extract", table)
            overall = extract.execute_list_query(f"SELECT {select} FROM {name}")[0]
            assert [float(v) for v in overall] == pytest.approx(list(oracle.totals(Slice()).values()), abs=0.005)
            for group, column in GROUPS.items():
                rows = extract.execute_list_query(f'SELECT "{column}", {select} FROM {name} GROUP BY 1')
                shown = {str(key): [float(v) for v in values] for key, *values in rows}
                raw_column = {"category": "category", "state": "state", "month": "date_trunc('month', day)::date"}
                expected = {
                    str(key): [float(orders), float(quantity), float(sales)]
                    for key, orders, quantity, sales in conn.execute(
                        f"select {raw_column[group]}, count(distinct order_id), sum(quantity), sum(line_revenue) "
                        "from oracle_lines group by 1"
                    )
                }
                assert set(shown) == set(expected), group
                for key, values in expected.items():
                    assert shown[key] == pytest.approx(values, abs=0.005), (spec.name, group, key)
