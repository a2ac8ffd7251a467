"""Delivery assets: the Tableau extracts, the read-only reporting role and the HTML dashboard.

They are unpartitioned on purpose: each rebuilds from the full marts (which the 3-hour partitions of the
upstream assets keep current), and each writes atomically, so a failed run leaves the previous deliverable in
place. Files go to the `delivery` resource's folder (SHOPEASE_OUTPUT_DIR, default `.shopease/output`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import dagster as dg

from shopease_platform.assets.metadata import preview
from shopease_platform.delivery.dashboard import DASHBOARD_MARTS, DashboardResult, write_dashboard
from shopease_platform.delivery.files import human_size
from shopease_platform.delivery.hyper_extracts import (
    PRODUCT_POPULARITY,
    STATE_POPULARITY,
    ExtractResult,
    write_extracts,
)
from shopease_platform.delivery.marts import MART_COLUMNS
from shopease_platform.delivery.reporting_role import ensure_reporting_role
from shopease_platform.delivery.resource import DeliveryResource
from shopease_platform.resources import PostgresResource

GROUP = "delivery"
COMMON: dict[str, Any] = {
    "group_name": GROUP,
    "owners": ["team:data-platform"],
    "retry_policy": dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL),
}


def marts(names: Iterable[str]) -> list[dg.AssetKey]:
    """The dbt models' asset keys (`[schema, model]`, see assets/dbt.py)."""
    return [dg.AssetKey(["analytics", name]) for name in names]


def _extract_metadata(result: ExtractResult) -> dict[str, dg.RawMetadataValue]:
    columns, rows = result.preview
    return {
        "dagster/row_count": result.total_rows,
        **{f"rows_{table}": count for table, count in result.rows.items()},
        "tables": preview([{"table": t, "rows": n} for t, n in result.rows.items()], ["table", "rows"], limit=20),
        "file_size_bytes": result.size_bytes,
        "file_size": human_size(result.size_bytes),
        "path": dg.MetadataValue.path(str(result.path)),
        "tds_path": dg.MetadataValue.path(str(result.tds_path)),
        "preview": preview([dict(zip(columns, row, strict=True)) for row in rows], columns),
        "seconds": round(result.seconds, 3),
    }


EXTRACT_ASSETS = {
    dg.AssetKey(["delivery", "tableau_product_popularity_extract"]): PRODUCT_POPULARITY,
    dg.AssetKey(["delivery", "tableau_state_popularity_extract"]): STATE_POPULARITY,
}


@dg.multi_asset(
    name="delivery__tableau_extracts",
    specs=[
        dg.AssetSpec(
            key,
            deps=marts(spec.tables),
            kinds={"tableau", "hyper"},
            description=f"`{spec.name}.hyper` (tables {', '.join(spec.tables)}) and `{spec.name}.tds` beside it.",
            group_name=GROUP,
            owners=COMMON["owners"],
            skippable=True,
        )
        for key, spec in EXTRACT_ASSETS.items()
    ],
    can_subset=True,
    retry_policy=COMMON["retry_policy"],
)
def tableau_extracts(context, postgres: PostgresResource, delivery: DeliveryResource) -> Iterator[dg.MaterializeResult]:
    """The Tableau extracts in one step: one snapshot of the marts, one Hyper process, the order lines copied once.

    `context` is left unannotated: Dagster reads annotations at definition time, and this module's are strings.
    """
    selected = {key: spec for key, spec in EXTRACT_ASSETS.items() if key in context.selected_asset_keys}
    with postgres.connect() as conn:
        results = write_extracts(conn, list(selected.values()), delivery.path())
    for key, result in zip(selected, results, strict=True):
        yield dg.MaterializeResult(asset_key=key, metadata=_extract_metadata(result))


@dg.asset(key=["delivery", "reporting_role"], deps=marts(MART_COLUMNS), kinds={"postgres"}, **COMMON)
def reporting_role(postgres: PostgresResource) -> dg.MaterializeResult:
    """The `shopease_reporting` login: SELECT on the analytics schema (now and later), nothing else."""
    with postgres.connect() as conn:
        report = ensure_reporting_role(conn)
    return dg.MaterializeResult(
        metadata={
            "role": report.role,
            "database": report.database,
            "created": report.created,
            "readable_tables": len(report.readable_tables),
            "tables": dg.MetadataValue.md("\n".join(f"- `analytics.{t}`" for t in report.readable_tables) or "none"),
            "closed_schemas": ", ".join(report.closed_schemas) or "none",
        }
    )


def _dashboard_metadata(result: DashboardResult) -> dict[str, dg.RawMetadataValue]:
    payload = result.payload
    totals: dict[int, float] = {}
    for row in payload["sales"]["rows"]:
        totals[row[1]] = totals.get(row[1], 0.0) + row[5]
    top = sorted(totals.items(), key=lambda item: -item[1])[:5]
    products = payload["products"]
    return {
        "dagster/row_count": sum(result.rows.values()),
        **{f"rows_{name}": count for name, count in result.rows.items()},
        "file_size_bytes": result.size_bytes,
        "file_size": human_size(result.size_bytes),
        "path": dg.MetadataValue.path(str(result.path)),
        "preview": preview(
            [{"product": products[p][1], "category": products[p][2], "sales": round(v, 2)} for p, v in top],
            ["product", "category", "sales"],
        ),
        "seconds": round(result.seconds, 3),
    }


@dg.asset(key=["delivery", "dashboard_html"], deps=marts(DASHBOARD_MARTS), kinds={"html"}, **COMMON)
def dashboard_html(postgres: PostgresResource, delivery: DeliveryResource) -> dg.MaterializeResult:
    """`shopease_dashboard.html`: one self-contained page (inline CSS, JS and data; no network at all)."""
    with postgres.connect() as conn:
        result = write_dashboard(conn, delivery.path())
    return dg.MaterializeResult(metadata=_dashboard_metadata(result))


delivery_assets = [tableau_extracts, reporting_role, dashboard_html]
