"""Which windows need reloading: MongoDB holds orders that PostgreSQL's raw tables do not account for.

A window is behind when MongoDB's order count differs from PostgreSQL's loaded orders plus the orders the loader
quarantined for that window. The late-orders sensor asks this for the windows its change stream touched, and,
when its resume token is invalid, for every window of the last `SHOPEASE_SENSOR_RESCAN_DAYS` days.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from psycopg import Connection
from pymongo.database import Database

from shopease_platform.window import WINDOW, WINDOW_HOURS, WINDOW_SECONDS


def mongo_window_counts(db: Database, start: datetime, end: datetime) -> dict[datetime, int]:
    """Orders per window in [start, end), counted by MongoDB on the `ordered_at` index."""
    pipeline = [
        {"$match": {"ordered_at": {"$gte": start, "$lt": end}}},
        {
            "$group": {
                "_id": {"$dateTrunc": {"date": "$ordered_at", "unit": "hour", "binSize": WINDOW_HOURS}},
                "n": {"$sum": 1},
            }
        },
    ]
    return {row["_id"].replace(tzinfo=UTC): row["n"] for row in db.orders.aggregate(pipeline)}


def postgres_window_counts(conn: Connection, start: datetime, end: datetime) -> dict[datetime, int]:
    """Orders per window in [start, end) that the raw load accounts for: loaded plus quarantined.

    Before the first load there are no raw tables: nothing is accounted for (the sensor creates no tables).
    """
    if not conn.execute(
        "select to_regclass('raw.orders') is not null and to_regclass('raw.rejected_documents') is not null"
    ).fetchone()[0]:
        return {}
    rows = conn.execute(
        """select window_start, sum(n)::bigint from (
               select to_timestamp(floor(extract(epoch from ordered_at) / %(seconds)s) * %(seconds)s) as window_start,
                      count(*) as n
               from raw.orders where ordered_at >= %(start)s and ordered_at < %(end)s group by 1
               union all
               select window_start, count(*) from raw.rejected_documents
               where collection = 'orders' and window_start >= %(start)s and window_start < %(end)s group by 1
           ) counts group by window_start""",
        {"start": start, "end": end, "seconds": WINDOW_SECONDS},
    ).fetchall()
    return {window.astimezone(UTC): int(n) for window, n in rows}


def windows_behind(
    db: Database, conn: Connection, windows: Iterable[datetime], closed_before: datetime, first: datetime
) -> dict[datetime, int]:
    """Closed windows (at or after ``first``, ending by ``closed_before``) whose counts differ; -> MongoDB count."""
    candidates = sorted({w for w in windows if first <= w and w + WINDOW <= closed_before})
    if not candidates:
        return {}
    start, end = candidates[0], candidates[-1] + WINDOW
    in_mongo = mongo_window_counts(db, start, end)
    in_postgres = postgres_window_counts(conn, start, end)
    return {w: in_mongo.get(w, 0) for w in candidates if in_mongo.get(w, 0) != in_postgres.get(w, 0)}
