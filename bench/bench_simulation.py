"""Simulation and MongoDB write throughput, against a bare `insert_many` of the same documents.

Figures: the simulation alone (columns; documents as dicts; documents as BSON encoded from columns), then
simulate + write through the path the `raw_orders` asset takes (`land_order_windows`: transactions of whole
windows, simulation in a producer thread), and the ratio to `insert_many` of the same pre-built documents into
an empty collection (the write limit of this server from Python). The writer lands every order twice, embedded
lines in `orders` and one `order_items` document per line, so it is compared with two bare inserts: of the
orders alone and of the orders plus their `order_items` documents. The second is the target: it writes the
same documents, and the second copy of every line is the price of the referenced layout (see the README), not
writer overhead. The write paths run in alternating rounds on fresh databases and the best round of each
counts, so a noisy moment on the machine hits none alone.
Targets: >= 200k orders/s for the simulation alone, and the writer at >= 0.6 of the bare insert of the same
documents.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pymongo
from pymongo.database import Database

from bench.common import bench_servers, figure, ratio
from shopease_platform.mongo_store.order_items import line_documents
from shopease_platform.mongo_store.order_windows import (
    LandedOrders,
    SimulatedWindow,
    land_order_windows,
    simulate_window,
)
from shopease_platform.mongo_store.schema import ensure_schema
from shopease_platform.settings import Settings
from shopease_platform.simulation import (
    SimulationConfig,
    build_catalog,
    customer_documents,
    order_columns_for_window,
    orders_for_window,
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
    parser.add_argument("--windows", type=int, default=80, help="consecutive 3-hour windows")
    parser.add_argument(
        "--orders-per-transaction",
        type=int,
        default=Settings.mongodb_orders_per_transaction,
        help="SHOPEASE_MONGODB_ORDERS_PER_TRANSACTION",
    )
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of both write paths; best counts")
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
    documents_rate, orders = timed("documents (dicts)", every_window(lambda s: orders_for_window(config, s)), len)
    timed("documents (BSON from columns)", lambda: [simulate_window(config, s) for s in starts], _simulated)
    ratio("columns / 7k orders/s (jafgen, single-threaded)", columns_rate, 7_000)

    with bench_servers() as servers:
        client: pymongo.MongoClient = pymongo.MongoClient(servers.mongodb_uri, tz_aware=True)
        catalog = build_catalog(config).documents()
        # The customers asset lands customers before orders; the timed writer only checks that they exist.
        customers = customer_documents(config, sorted({order["customer_id"] for order in orders}))

        def fresh(name: str) -> Database:
            client.drop_database(name)
            ensure_schema(client[name])
            return client[name]

        def bare(with_lines: bool) -> float:
            prebuilt, db = [dict(order) for order in orders], fresh("bench_bare")
            lines = line_documents(prebuilt) if with_lines else []
            started = time.perf_counter()
            for start in range(0, len(prebuilt), 10_000):
                db.orders.insert_many(prebuilt[start : start + 10_000], ordered=False)
            for start in range(0, len(lines), 10_000):
                db.order_items.insert_many(lines[start : start + 10_000], ordered=False)
            return len(prebuilt) / (time.perf_counter() - started)

        def simulate_and_write() -> list:
            db = fresh("bench_sim")
            db.products.insert_many([dict(product) for product in catalog])
            db.customers.insert_many([dict(customer) for customer in customers])
            started = time.perf_counter()
            landed = land_order_windows(client, db, config, starts, args.orders_per_transaction)
            return [_landed(landed) / (time.perf_counter() - started), landed.transactions]

        print(f"MongoDB writes ({len(orders):,} orders, best of {args.rounds} alternating rounds)")
        bare_rates, lines_rates, writer_rates = [], [], []
        for _ in range(args.rounds):
            bare_rates.append(bare(with_lines=False))
            lines_rates.append(bare(with_lines=True))
            rate, transactions = simulate_and_write()
            writer_rates.append(rate)
        bare_rate, lines_rate, writer_rate = max(bare_rates), max(lines_rates), max(writer_rates)
        figure("bare insert_many of pre-built orders", bare_rate, "orders/s")
        figure("bare insert_many of orders + order_items", lines_rate, "orders/s")
        figure("simulate + transactional window writes", writer_rate, "orders/s")
        print(f"  ({transactions} transactions of up to {args.orders_per_transaction:,} orders each)")
        rounds = zip(bare_rates, lines_rates, writer_rates, strict=True)
        print(
            "  rounds (orders / + lines / writer): "
            + ", ".join(f"{b:,.0f} / {li:,.0f} / {w:,.0f}" for b, li, w in rounds)
        )
        ratio("writer / bare insert_many of orders", writer_rate, bare_rate)
        ratio("writer / bare insert_many of orders + lines", writer_rate, lines_rate)
        met = columns_rate >= 200_000 and writer_rate / lines_rate >= 0.6
        verdict = "met" if met else "NOT met"
        print(f"  targets (simulation >= 200k orders/s, writer >= 0.6 x bare of the same documents): {verdict}")
        print(f"  documents path: {documents_rate:,.0f} orders/s (dicts with embedded items)")
        client.close()
    return 0


def _landed(landed: LandedOrders) -> int:
    return landed.orders_inserted + landed.orders_already_present


def _simulated(windows: list[SimulatedWindow]) -> int:
    return sum(len(window.documents.orders) for window in windows)


def _orders(batches: list) -> int:
    return sum(len(batch) for batch in batches)


if __name__ == "__main__":
    sys.exit(main())
