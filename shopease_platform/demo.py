"""`make demo`: start (or reuse) the servers and materialize the whole asset graph on the Dagster instance.

Every asset runs in one run: unpartitioned ones once, partitioned ones over the windows of the last
SHOPEASE_DEMO_DAYS days as a single-run backfill, so the Dagster UI shows one run covering the whole graph.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import dagster as dg
import pymongo

from shopease_platform.services import Endpoints, ServiceManager
from shopease_platform.settings import Settings


def demo_partition_range(partitions: dg.TimeWindowPartitionsDefinition, days: int, now: datetime) -> tuple[str, str]:
    """The first and last partition keys of the `days` days ending with the last closed window before `now`."""
    last_closed = now - timedelta(hours=3)
    if last_closed < partitions.start:
        raise ValueError(f"no closed 3-hour window yet before {now.isoformat()}: check SHOPEASE_START_DATE")
    first_wanted = max(now - timedelta(days=days), partitions.start)
    return (
        partitions.get_partition_key_for_timestamp(first_wanted.timestamp()),
        partitions.get_partition_key_for_timestamp(last_closed.timestamp()),
    )


def run_demo(settings: Settings, days: int | None = None, now: datetime | None = None) -> int:
    started = time.monotonic()
    endpoints = ServiceManager(settings).up()
    os.environ.update(endpoints.as_env(settings))
    print(f"MongoDB    ({endpoints.mongodb_source}): {endpoints.mongodb_uri}")
    print(f"PostgreSQL ({endpoints.postgres_source}): {endpoints.postgres_url}")

    from shopease_platform.definitions import build_definitions
    from shopease_platform.orchestration.partitions import build_window_partitions

    defs = build_definitions(settings)
    partitions = build_window_partitions(settings)
    first, last = demo_partition_range(partitions, days or settings.demo_days, now or datetime.now(UTC))
    graph = defs.resolve_asset_graph()
    with dg.DagsterInstance.get() as instance:
        print(f"materializing the whole graph for windows {first} .. {last} in one run ...", flush=True)
        result = dg.materialize(
            list(defs.assets or []),
            instance=instance,
            resources=defs.resources,
            tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
        )
    print(f"materialized {len(graph.get_all_asset_keys())} assets for {first} .. {last} (run {result.run_id})")
    print_summary(endpoints, settings)
    print(f"done in {time.monotonic() - started:.1f}s")
    print("Dagster UI: `make ui`, then open http://127.0.0.1:3000")
    return 0


def print_summary(endpoints: Endpoints, settings: Settings) -> None:
    from shopease_platform.mongo_store.reports import all_reports, render

    client: pymongo.MongoClient = pymongo.MongoClient(endpoints.mongodb_uri, tz_aware=True)
    try:
        db = client[settings.mongodb_database]
        counts = {name: db[name].estimated_document_count() for name in ("products", "customers", "orders")}
        print("MongoDB: " + ", ".join(f"{n:,} {name}" for name, n in counts.items()))
        for report in all_reports(db):
            print(render(report) + "\n")
    finally:
        client.close()
