"""Simulation and MongoDB write throughput, against a bare `insert_many` of the same documents.

Figures: the simulation alone (columns, and full documents), then simulate + write through the platform's
transactional window writer, and the ratio to `insert_many` of the same pre-built documents into an empty
collection (the write limit of this server from Python). Targets: >= 200k orders/s for the simulation alone,
and the writer at >= 0.6 of the bare insert.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pymongo

from bench.common import bench_servers, figure, ratio
from shopease_platform.mongo_store.schema import ensure_schema
from shopease_platform.mongo_store.writer import write_window
from shopease_platform.simulation import (
    SimulationConfig,
    build_catalog,
    order_columns_for_window,
    orders_for_window,
    restocks_for_window,
)

WINDOW_START = datetime(2026, 11, 27, 18, tzinfo=UTC)


def timed(label: str, action, count_of) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    figure(f"{label} ({count_of(result):,} orders)", count_of(result) / seconds, "orders/s")
    return count_of(result) / seconds, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=200_000, help="approximate orders over all benchmark windows")
    parser.add_argument("--windows", type=int, default=80, help="consecutive 3-hour windows (one transaction each)")
    args = parser.parse_args()
    probe = SimulationConfig()
    starts = [WINDOW_START + i * timedelta(hours=3) for i in range(args.windows)]
    probe_orders = sum(len(order_columns_for_window(probe, start)) for start in starts)
    config = SimulationConfig(base_orders_per_window=probe.base_orders_per_window * args.orders / probe_orders)
    order_columns_for_window(config, starts[-1])  # warm the caches: catalog, price timeline, customer history

    def every_window(make: Callable[[datetime], list]) -> Callable[[], list]:
        return lambda: [order for start in starts for order in make(start)]

    print(f"simulation alone (no database), {args.windows} windows")
    columns_rate, _ = timed("columns", lambda: [order_columns_for_window(config, s) for s in starts], _orders)
    documents_rate, orders = timed("documents", every_window(lambda s: orders_for_window(config, s)), len)
    ratio("columns / 7k orders/s (jafgen, single-threaded)", columns_rate, 7_000)

    with bench_servers() as servers:
        client: pymongo.MongoClient = pymongo.MongoClient(servers.mongodb_uri, tz_aware=True)
        bare_db, db = client["bench_bare"], client["bench_sim"]
        for database in (bare_db, db):
            client.drop_database(database.name)
            ensure_schema(database)
        db.products.insert_many(build_catalog(config).documents())
        prebuilt = [dict(order) for order in orders]

        print("MongoDB writes")

        def bare() -> list:
            for start in range(0, len(prebuilt), 10_000):
                bare_db.orders.insert_many(prebuilt[start : start + 10_000], ordered=False)
            return prebuilt

        bare_rate, _ = timed("bare insert_many of pre-built documents", bare, len)

        def simulate_and_write(start: datetime) -> list:
            fresh = orders_for_window(config, start)
            write_window(client, db, fresh, restocks_for_window(config, start), start + timedelta(hours=3))
            return fresh

        writer_rate, _ = timed("simulate + transactional window writes", every_window(simulate_and_write), len)
        ratio("writer / bare insert_many", writer_rate, bare_rate)
        met = columns_rate >= 200_000 and writer_rate / bare_rate >= 0.6
        print(f"  targets (simulation >= 200k orders/s, writer >= 0.6 x bare): {'met' if met else 'NOT met'}")
        print(f"  documents path: {documents_rate:,.0f} orders/s (dicts with embedded items)")
        client.close()
    return 0


def _orders(batches: list) -> int:
    return sum(len(batch) for batch in batches)


if __name__ == "__main__":
    sys.exit(main())
