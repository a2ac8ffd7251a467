"""The delivery layer against a real PostgreSQL: extracts equal the marts, the role is read-only, files are atomic."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit
from xml.etree import ElementTree as ET

import dagster as dg
import psycopg
import pytest
from psycopg import sql
from tableauhyperapi import Connection, CreateMode, HyperProcess, TableName, Telemetry

from shopease_platform.assets.delivery import delivery_assets
from shopease_platform.delivery import (
    EXTRACTS,
    PRODUCT_POPULARITY,
    REPORTING_ROLE,
    STATE_POPULARITY,
    DeliveryResource,
    default_output_dir,
    ensure_reporting_role,
    write_dashboard,
    write_extract,
)
from shopease_platform.delivery.marts import MartContractError
from shopease_platform.resources import PostgresResource
from tests.integration.mart_fixture import build_marts

pytestmark = pytest.mark.integration
PASSWORD = "reporting-test-password"
MEASURES = ("order_count", "total_quantity", "total_sales", "quantity", "line_revenue", "customers")


@pytest.fixture
def warehouse(isolated_stores: tuple[str, str]) -> Iterator[str]:
    """The isolated database, holding the fixture marts."""
    _, pg_url = isolated_stores
    with psycopg.connect(pg_url) as conn:
        build_marts(conn)
    yield pg_url


def _pg_totals(conn: psycopg.Connection, table: str) -> dict[str, float]:
    columns = {row[0] for row in conn.execute(
        "select column_name from information_schema.columns where table_schema = 'analytics' and table_name = %s",
        (table,),
    )}  # fmt: skip
    measures = [m for m in MEASURES if m in columns]
    query = sql.SQL("select {} from analytics.{}").format(
        sql.SQL(", ").join([sql.SQL("count(*)")]
                           + [sql.SQL("coalesce(sum({}), 0)").format(sql.Identifier(m)) for m in measures]),
        sql.Identifier(table),
    )  # fmt: skip
    values = conn.execute(query).fetchone()
    return {"rows": float(values[0]), **{m: float(v) for m, v in zip(measures, values[1:], strict=True)}}


@contextmanager
def _open_extract(path: Path) -> Iterator[Connection]:
    with (
        HyperProcess(Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU, parameters={"log_config": ""}) as hyper,
        Connection(hyper.endpoint, str(path), CreateMode.NONE) as extract,
    ):
        yield extract


def _hyper_totals(extract: Connection, table: str, measures: list[str]) -> dict[str, float]:
    sums = "".join(f', COALESCE(SUM("{m}"), 0)' for m in measures)
    values = extract.execute_list_query(f"SELECT COUNT(*){sums} FROM {TableName('Extract', table)}")[0]
    return {"rows": float(values[0]), **{m: float(v) for m, v in zip(measures, values[1:], strict=True)}}


def test_extracts_hold_the_marts_row_for_row(warehouse: str, tmp_path: Path) -> None:
    with psycopg.connect(warehouse) as conn:
        results = {spec.name: write_extract(conn, spec, tmp_path) for spec in EXTRACTS}
        for spec in EXTRACTS:
            result = results[spec.name]
            assert result.path == tmp_path / f"{spec.name}.hyper"
            assert result.size_bytes == result.path.stat().st_size > 0
            with _open_extract(result.path) as extract:
                assert {str(t.name.unescaped) for t in extract.catalog.get_table_names("Extract")} == set(spec.tables)
                for table in spec.tables:
                    expected = _pg_totals(conn, table)
                    assert expected["rows"] > 0, table
                    actual = _hyper_totals(extract, table, [m for m in expected if m != "rows"])
                    assert actual == pytest.approx(expected, abs=0.005), table
                    assert result.rows[table] == expected["rows"]
    # Nothing but the deliverables is left behind (no staging CSV, no temporary extract, no Hyper log).
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "popularity_by_state.hyper", "popularity_by_state.tds", "product_popularity.hyper", "product_popularity.tds",
    ]  # fmt: skip


def test_tds_files_open_the_extract_beside_them(warehouse: str, tmp_path: Path) -> None:
    with psycopg.connect(warehouse) as conn:
        for spec in (PRODUCT_POPULARITY, STATE_POPULARITY):
            write_extract(conn, spec, tmp_path)
    for spec in (PRODUCT_POPULARITY, STATE_POPULARITY):
        root = ET.parse(tmp_path / f"{spec.name}.tds").getroot()
        assert root.tag == "datasource"
        hyper = root.find(".//named-connection/connection")
        assert hyper is not None and hyper.get("class") == "hyper"
        assert hyper.get("dbname") == f"{spec.name}.hyper"  # relative: the pair travels as a folder
        relation = root.find("./connection/relation")
        assert relation is not None and relation.get("table") == f"[Extract].[{spec.tables[0]}]"
        columns = {c.get("name"): c for c in root.findall("column")}
        assert columns["[line_revenue]"].get("role") == "measure"
        assert columns["[line_revenue]"].get("aggregation") == "Sum"
        assert columns["[unit_price]"].get("aggregation") == "Avg"
        assert columns["[product_id]"].get("role") == "dimension"
        assert columns["[order_id]"].get("role") == "dimension"
        orders = columns["[orders]"].find("calculation")
        assert orders is not None and orders.get("formula") == "COUNTD([order_id])"
        # No measure of the line table is a pre-aggregated count that a default SUM would overcount.
        assert not [name for name, c in columns.items() if c.get("role") == "measure" and "count" in name]
    state_columns = {
        c.get("name"): c for c in ET.parse(tmp_path / "popularity_by_state.tds").getroot().findall("column")
    }
    assert state_columns["[state_name]"].get("semantic-role") == "[State].[Name]"
    assert state_columns["[state_code]"].get("semantic-role") == "[State].[Name]"
    assert state_columns["[product_name]"].get("semantic-role") is None


def test_a_failed_rebuild_keeps_the_previous_extract(warehouse: str, tmp_path: Path) -> None:
    with psycopg.connect(warehouse) as conn:
        first = write_extract(conn, STATE_POPULARITY, tmp_path)
        before = first.path.read_bytes()
        conn.execute("alter table analytics.mart_state_top_products drop column ranking_metric")
        conn.commit()
        with pytest.raises(MartContractError, match=r"mart_state_top_products lacks column\(s\) ranking_metric"):
            write_extract(conn, STATE_POPULARITY, tmp_path)
        conn.execute("drop view analytics.mart_order_lines")
        conn.commit()
        with pytest.raises(MartContractError, match=r"analytics\.mart_order_lines does not exist"):
            write_extract(conn, STATE_POPULARITY, tmp_path)
    assert first.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["popularity_by_state.hyper", "popularity_by_state.tds"]


def _as_role(url: str, role: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{role}:{quote(password)}@{parts.hostname}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _denied(conn: psycopg.Connection, statement: str) -> bool:
    try:
        with conn.transaction():
            conn.execute(statement)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


def test_reporting_role_reads_analytics_only(warehouse: str) -> None:
    with psycopg.connect(warehouse) as owner:
        report = ensure_reporting_role(owner, PASSWORD)
        # A privilege added by hand is taken back by the next run, which changes nothing else.
        owner.execute(f"grant insert on analytics.mart_order_trend to {REPORTING_ROLE}")
        owner.commit()
        again = ensure_reporting_role(owner, PASSWORD)
        assert again.created is False
        assert again.readable_tables == report.readable_tables
        assert {"mart_product_sales_daily", "mart_state_top_products", "dim_states"} <= set(report.readable_tables)
        assert report.closed_schemas == ["raw", "staging"]
        marts = [row[0] for row in owner.execute(
            "select table_name from information_schema.tables where table_schema = 'analytics' order by 1"
        )]  # fmt: skip

    with psycopg.connect(_as_role(warehouse, REPORTING_ROLE, PASSWORD), autocommit=True) as reader:
        assert reader.execute("select current_user").fetchone()[0] == REPORTING_ROLE
        for table in marts:
            reader.execute(sql.SQL("select count(*) from analytics.{}").format(sql.Identifier(table))).fetchone()
        for statement in (
            "select * from raw.orders",
            "select * from staging.stg_orders",
            "insert into analytics.mart_order_trend (order_date, store_id) values ('2026-01-01', 'S000')",
            "update analytics.mart_order_trend set order_count = 0",
            "delete from analytics.dim_products",
            "truncate analytics.fct_orders",
            "insert into raw.orders values ('X', 'x')",
            "create table analytics.scratch (id int)",
            "create table raw.scratch (id int)",
            "create table public.scratch (id int)",
            "create schema scratch",
        ):
            assert _denied(reader, statement), statement

    # Tables dbt creates later are readable too (default privileges).
    with psycopg.connect(warehouse, autocommit=True) as owner:
        owner.execute("create table analytics.mart_added_later as select 1 as id")
    with psycopg.connect(_as_role(warehouse, REPORTING_ROLE, PASSWORD), autocommit=True) as reader:
        assert reader.execute("select id from analytics.mart_added_later").fetchone() == (1,)


def test_dashboard_is_one_offline_file(warehouse: str, tmp_path: Path) -> None:
    with psycopg.connect(warehouse) as conn:
        result = write_dashboard(conn, tmp_path)
        total_sales = float(
            conn.execute("select sum(total_sales) from analytics.mart_product_sales_daily").fetchone()[0]
        )
        trend_rows = conn.execute("select count(*) from analytics.mart_order_trend").fetchone()[0]
    page = result.path.read_text(encoding="utf-8")
    assert result.size_bytes == result.path.stat().st_size
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=", page, re.IGNORECASE)
    assert "default-src 'none'" in page  # the page may not fetch anything, even if asked to
    payload = json.loads(
        re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', page).group(1)
    )
    assert sum(row[5] for row in payload["sales"]["rows"]) == pytest.approx(total_sales, abs=0.01)
    assert len(payload["trend"]["rows"]) == trend_rows == result.rows["trend"]
    names = {row[1] for row in payload["products"]}
    assert {'Puzzle "1000 pieces"', "Travel Guide <USA>", "Cookbook: Family Dinners & More"} <= names
    for testid in (
        "chart-top-orders",
        "chart-top-quantity",
        "chart-revenue-leaders",
        "chart-order-trend",
        "chart-category-performance",
        "table-popularity",
        "chart-state-map",
        "table-state-top-products",
        "filter-pop-category",
        "filter-geo-product",
        "chart-new-returning",
        "table-price-sensitivity",
    ):
        assert f'data-testid="{testid}"' in page, testid  # fmt: skip


def test_delivery_assets_materialize(warehouse: str, tmp_path: Path) -> None:
    output = tmp_path / "output"
    result = dg.materialize(
        delivery_assets,
        resources={"postgres": PostgresResource(url=warehouse), "delivery": DeliveryResource(output_dir=str(output))},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    metadata = {
        event.asset_key.path[-1]: event.materialization.metadata
        for event in result.get_asset_materialization_events()
    }  # fmt: skip
    assert set(metadata) == {"tableau_product_popularity_extract", "tableau_state_popularity_extract",
                             "reporting_role", "dashboard_html"}  # fmt: skip
    assert {event.asset_key.path[0] for event in result.get_asset_materialization_events()} == {"delivery"}
    with psycopg.connect(warehouse) as conn:
        rows = conn.execute("select count(*) from analytics.mart_order_lines").fetchone()[0]
    extract = metadata["tableau_product_popularity_extract"]
    assert extract["rows_mart_order_lines"].value == rows
    assert extract["path"].value == str(output / "product_popularity.hyper")
    assert extract["file_size_bytes"].value == (output / "product_popularity.hyper").stat().st_size
    assert "mart_order_lines" in extract["tables"].value
    assert metadata["reporting_role"]["role"].value == REPORTING_ROLE
    assert metadata["dashboard_html"]["path"].value == str(output / "shopease_dashboard.html")
    assert sorted(p.name for p in output.iterdir()) == [
        "popularity_by_state.hyper", "popularity_by_state.tds", "product_popularity.hyper", "product_popularity.tds",
        "shopease_dashboard.html",
    ]  # fmt: skip


def test_one_extract_asset_alone_writes_only_its_extract(warehouse: str, tmp_path: Path) -> None:
    """The extracts share one step; selecting one of them writes that one alone."""
    output = tmp_path / "output"
    key = dg.AssetKey(["delivery", "tableau_state_popularity_extract"])
    result = dg.materialize(
        delivery_assets,
        selection=[key],
        resources={"postgres": PostgresResource(url=warehouse), "delivery": DeliveryResource(output_dir=str(output))},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    assert [event.asset_key for event in result.get_asset_materialization_events()] == [key]
    assert sorted(p.name for p in output.iterdir()) == ["popularity_by_state.hyper", "popularity_by_state.tds"]


def test_delivery_asset_keys_and_lineage() -> None:
    specs = {spec.key: spec for asset in delivery_assets for spec in asset.specs}
    key = dg.AssetKey(["delivery", "tableau_state_popularity_extract"])
    assert {dep.asset_key for dep in specs[key].deps} == {
        dg.AssetKey(["analytics", table]) for table in STATE_POPULARITY.tables
    }
    assert specs[key].kinds == {"tableau", "hyper"}
    assert {spec.group_name for spec in specs.values()} == {"delivery"}
    assert all(asset.partitions_def is None for asset in delivery_assets)


def test_output_folder_defaults_to_the_state_folder(tmp_path: Path) -> None:
    assert default_output_dir({"SHOPEASE_HOME": str(tmp_path)}) == tmp_path / "output"
    assert default_output_dir({"SHOPEASE_OUTPUT_DIR": str(tmp_path / "x")}) == tmp_path / "x"
    assert DeliveryResource(output_dir=str(tmp_path / "made")).path().is_dir()
