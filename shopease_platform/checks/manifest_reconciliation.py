"""Does PostgreSQL hold exactly what the S3 windows' manifests say they hold?

The cloud version's counterpart of `reconciliation.reconcile_orders`: orders, lines and revenue of the loaded
windows are compared with the totals in their manifests, after setting aside what the loader quarantined (a
damaged part by its own manifest totals, a rejected order by the lines in its payload).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import dagster as dg
from psycopg import Connection

from shopease_platform.checks.reconciliation import ORDERS_KEY, Totals, postgres_totals
from shopease_platform.s3_store.datasets import Dataset, Manifest, S3Location, read_manifest

CHECK_NAME = "reconciles_with_manifest"


def _payload_totals(payload: Mapping[str, Any]) -> Totals:
    """The lines and revenue of a quarantined order, as far as its payload's values are numbers."""
    revenue, lines = 0.0, 0
    for item in payload.get("items") or []:
        lines += 1
        try:
            revenue += round(float(item["quantity"]) * float(item["unit_price"]), 2)
        except (TypeError, ValueError, KeyError):
            continue
    return Totals(1, lines, revenue)


def manifest_totals(manifests: Sequence[Manifest], quarantined: Sequence[tuple[str, Mapping[str, Any]]]) -> Totals:
    """The manifests' totals less what was quarantined: whole parts (by key) and single orders (by payload)."""
    parts = {part.key: part for manifest in manifests for part in manifest.parts}
    orders = sum(int(m.totals.get("orders", 0)) for m in manifests)
    lines = sum(int(m.totals.get("lines", 0)) for m in manifests)
    revenue = sum(float(m.totals.get("revenue", 0.0)) for m in manifests)
    for source_id, payload in quarantined:
        part = parts.get(source_id)
        removed = (
            Totals(part.rows, int(part.totals.get("lines", 0)), float(part.totals.get("revenue", 0.0)))
            if part is not None
            else _payload_totals(payload)
        )
        orders, lines, revenue = orders - removed.orders, lines - removed.lines, revenue - removed.revenue
    return Totals(orders, lines, round(revenue, 2))


def reconcile_with_manifests(
    store: S3Location, conn: Connection, window_starts: Sequence[datetime], end: datetime
) -> dg.AssetCheckResult:
    manifests = [m for s in window_starts if (m := read_manifest(store, Dataset("orders", s))) is not None]
    start = window_starts[0] if window_starts else end
    rows = conn.execute(
        """select source_id, payload from raw.rejected_documents
           where collection = 'orders' and window_start >= %s and window_start < %s""",
        (start, end),
    ).fetchall()
    source = manifest_totals(manifests, [(row[0], row[1]) for row in rows])
    loaded = postgres_totals(conn, start, end)
    revenue_ok = abs(source.revenue - loaded.revenue) < 0.005 + 1e-6 * abs(source.revenue)
    passed = source.orders == loaded.orders and source.lines == loaded.lines and revenue_ok
    return dg.AssetCheckResult(
        check_name=CHECK_NAME,
        asset_key=ORDERS_KEY,
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "manifest_orders": source.orders,
            "postgres_orders": loaded.orders,
            "manifest_lines": source.lines,
            "postgres_lines": loaded.lines,
            "manifest_revenue": source.revenue,
            "postgres_revenue": loaded.revenue,
            "windows_with_manifest": len(manifests),
            "quarantined": len(rows),
        },
    )
