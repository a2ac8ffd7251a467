"""Incremental dbt: the time to model one new 3-hour window on top of 30 days and on top of 180 days of history.

Each history is loaded through the MongoDB and PostgreSQL raw assets into its own database and built once with
`dbt build`; then one more window is loaded and modelled with `dbt build --vars {window_start, window_end}` (models
and tests) and, separately, `dbt run` with the same vars (models only). The ratio 180-day / 30-day is the figure:
an incremental project keeps it near 1 (target <= 1.5).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import psycopg
from psycopg import sql

from bench.common import bench_servers, figure, ratio
from shopease_platform.services import Endpoints
from shopease_platform.settings import Settings, dbt_profile_env, with_database

NEW_WINDOW = datetime(2025, 7, 1, tzinfo=UTC)
DBT_DIR = Path(__file__).resolve().parents[1] / "dbt"
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


def load(servers: Endpoints, database: str, first: datetime, last: datetime, orders_per_window: int) -> None:
    """Materialize the MongoDB and PostgreSQL raw assets over first..last (window starts) in one run."""
    from shopease_platform.definitions import build_definitions
    from shopease_platform.resources import MongoResource, PostgresResource

    settings = Settings.from_env({**os.environ, "SHOPEASE_ORDERS_PER_WINDOW": str(orders_per_window)})
    defs = build_definitions(settings)
    resources = dict(defs.resources or {})
    resources["mongo"] = MongoResource(uri=servers.mongodb_uri, database=database)
    resources["postgres"] = PostgresResource(url=with_database(servers.postgres_url, database))
    fmt = "%Y-%m-%d-%H:%M"
    result = dg.materialize(
        list(defs.assets or []),
        selection=dg.AssetSelection.groups("mongo_raw", "postgres_raw"),
        resources=resources,
        instance=dg.DagsterInstance.ephemeral(),
        tags=dict(zip(RANGE_TAGS, (first.strftime(fmt), last.strftime(fmt)), strict=True)),
    )
    assert result.success


def dbt(servers: Endpoints, database: str, *args: str) -> float:
    env = {**os.environ, **dbt_profile_env(with_database(servers.postgres_url, database))}
    started = time.monotonic()
    command = [str(Path(sys.executable).with_name("dbt")), *args, "--profiles-dir", ".", "--target-path"]
    subprocess.run([*command, f"target/bench-{database}"], cwd=DBT_DIR, env=env, check=True, capture_output=True)
    return time.monotonic() - started


def history(servers: Endpoints, days: int, orders_per_window: int) -> tuple[float, float, float]:
    """(full build seconds, window build seconds, window run seconds) on top of `days` of history."""
    database = f"bench_dbt_{days}d"
    admin = with_database(servers.postgres_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(database)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
    started = time.monotonic()
    load(servers, database, NEW_WINDOW - timedelta(days=days), NEW_WINDOW - timedelta(hours=3), orders_per_window)
    print(f"  {days} days loaded into MongoDB and PostgreSQL raw in {time.monotonic() - started:.0f}s", flush=True)
    full = dbt(servers, database, "build")
    load(servers, database, NEW_WINDOW, NEW_WINDOW, orders_per_window)
    window = json.dumps(
        {"window_start": NEW_WINDOW.isoformat(), "window_end": (NEW_WINDOW + timedelta(hours=3)).isoformat()}
    )
    build = dbt(servers, database, "build", "--vars", window)
    run = dbt(servers, database, "run", "--vars", window)
    return full, build, run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders-per-window", type=int, default=120)
    args = parser.parse_args()
    os.environ["SHOPEASE_START_DATE"] = "2025-01-01"  # the histories below start in 2025
    with bench_servers() as servers:
        print("dbt incremental benchmark: one new window on top of 30 and 180 days of history")
        short = history(servers, 30, args.orders_per_window)
        long = history(servers, 180, args.orders_per_window)
        for label, a, b in zip(
            ("full build", "window build (models + tests)", "window run (models)"), short, long, strict=True
        ):
            figure(f"{label}, 30 days", a, "s")
            figure(f"{label}, 180 days", b, "s")
        ratio("window build: 180 days / 30 days", long[1], short[1])
        ratio("window run: 180 days / 30 days", long[2], short[2])
        print(f"  target (window build ratio <= 1.5): {'met' if long[1] / short[1] <= 1.5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
