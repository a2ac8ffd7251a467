"""Does PostgreSQL hold exactly what MongoDB holds for the same windows?

Counts and revenue are compared after setting aside the documents the loader quarantined, so a reject is
accounted for rather than a silent difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import dagster as dg
from psycopg import Connection
from pymongo.database import Database

ORDERS_KEY = dg.AssetKey(["raw", "orders"])


@dataclass(frozen=True)
class Totals:
    orders: int
    lines: int
    revenue: float


def mongo_totals(db: Database, start: datetime, end: datetime, excluded: list[str]) -> Totals:
    pipeline = [
        {"$match": {"ordered_at": {"$gte": start, "$lt": end}, "_id": {"$nin": excluded}}},
        {"$unwind": "$items"},
        {"$group": {
            "_id": "$_id",
            "revenue": {"$sum": {"$round": [{"$multiply": ["$items.quantity", "$items.unit_price"]}, 2]}},
            "lines": {"$sum": 1},
        }},
        {"$group": {"_id": None, "orders": {"$sum": 1}, "lines": {"$sum": "$lines"}, "revenue": {"$sum": "$revenue"}}},
    ]  # fmt: skip
    row = next(db.orders.aggregate(pipeline), None)
    if row is None:
        return Totals(0, 0, 0.0)
    return Totals(row["orders"], row["lines"], round(row["revenue"], 2))


def postgres_totals(conn: Connection, start: datetime, end: datetime) -> Totals:
    orders = conn.execute(
        "select count(*) from raw.orders where ordered_at >= %s and ordered_at < %s", (start, end)
    ).fetchone()
    lines = conn.execute(
        """select count(*), coalesce(sum(line_revenue), 0) from raw.order_items
           where ordered_at >= %s and ordered_at < %s""",
        (start, end),
    ).fetchone()
    return Totals(int(orders[0]), int(lines[0]), round(float(lines[1]), 2))


def quarantined_order_ids(conn: Connection, start: datetime, end: datetime) -> list[str]:
    rows = conn.execute(
        """select source_id from raw.rejected_documents
           where collection = 'orders' and window_start >= %s and window_start < %s""",
        (start, end),
    ).fetchall()
    return [row[0] for row in rows]


def reconcile_orders(db: Database, conn: Connection, start: datetime, end: datetime) -> dg.AssetCheckResult:
    excluded = quarantined_order_ids(conn, start, end)
    source = mongo_totals(db, start, end, excluded)
    loaded = postgres_totals(conn, start, end)
    revenue_ok = abs(source.revenue - loaded.revenue) < 0.005 + 1e-6 * abs(source.revenue)
    passed = source.orders == loaded.orders and source.lines == loaded.lines and revenue_ok
    return dg.AssetCheckResult(
        check_name="reconciles_with_mongodb",
        asset_key=ORDERS_KEY,
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "mongodb_orders": source.orders,
            "postgres_orders": loaded.orders,
            "mongodb_lines": source.lines,
            "postgres_lines": loaded.lines,
            "mongodb_revenue": source.revenue,
            "postgres_revenue": loaded.revenue,
            "quarantined_orders": len(excluded),
        },
    )


def rejects_check(rejected: int, documents: int, max_share: float) -> dg.AssetCheckResult:
    """Any reject warns; a share above `max_share` of the run's documents fails."""
    share = rejected / documents if documents else 0.0
    return dg.AssetCheckResult(
        check_name="rejected_documents",
        asset_key=ORDERS_KEY,
        passed=rejected == 0,
        severity=dg.AssetCheckSeverity.ERROR if share > max_share else dg.AssetCheckSeverity.WARN,
        metadata={"rejected": rejected, "documents": documents, "share": round(share, 6), "max_share": max_share},
        description="See raw.rejected_documents for reasons and payloads." if rejected else None,
    )
