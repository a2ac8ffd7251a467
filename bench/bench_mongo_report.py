"""The MongoDB brief's analyses (`shopease mongo-report`) on a year of default data, and referencing vs embedding.

Lands 365 days of the default simulation (catalog, every customer who signed up, orders with their
`order_items` lines, restocks) through the platform's writer, then times each analysis (best of `--rounds`)
and prints the indexes `explain` shows for its `$lookup` stages. Target: each analysis under 2 s (the ratio
to it is printed; `--keep` reuses a landed year between runs).

Then the same questions asked of the embedded lines (`orders.items`, `$unwind`) instead of the referenced
ones (`order_items`), and the storage each layout costs, for the README's "Referencing vs embedding".
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pymongo
from pymongo.database import Database

from bench.common import bench_servers
from shopease_platform.mongo_store import analyses
from shopease_platform.mongo_store.order_windows import land_order_windows
from shopease_platform.mongo_store.schema import ensure_schema
from shopease_platform.mongo_store.writer import upsert_documents
from shopease_platform.settings import Settings
from shopease_platform.simulation import WINDOW, SimulationConfig, build_catalog, customers_for_window

START = datetime(2025, 1, 1, tzinfo=UTC)
TARGET_SECONDS = 2.0
DATABASE = "bench_report"
LANDED = "bench_landed"
"""Collection recording what was landed, so `--keep` reuses a database holding the same days."""

EMBEDDED_REVENUE_BY_CATEGORY: analyses.Pipeline = [
    {"$unwind": "$items"},
    {"$group": {"_id": "$items.product_id", "cents": {"$sum": analyses.line_cents("$items.")}}},
    {"$lookup": {"from": "products", "localField": "_id", "foreignField": "_id", "as": "product"}},
    {"$group": {"_id": {"$first": "$product.category"}, "cents": {"$sum": "$cents"}}},
    {"$sort": {"cents": -1, "_id": 1}},
]
EMBEDDED_TOP_PRODUCT: analyses.Pipeline = [
    {"$unwind": "$items"},
    {"$group": {"_id": "$items.product_id", "units": {"$sum": "$items.quantity"}}},
    {"$sort": {"units": -1, "_id": 1}},
    {"$limit": 1},
]
REFERENCED_TOP_PRODUCT: analyses.Pipeline = [
    {"$group": {"_id": "$product_id", "units": {"$sum": "$quantity"}}},
    {"$sort": {"units": -1, "_id": 1}},
    {"$limit": 1},
]


def land_year(client: pymongo.MongoClient, db: Database, days: int) -> int:
    config = SimulationConfig(start=START)
    starts = [START + WINDOW * k for k in range(days * 8)]
    ensure_schema(db)
    products = build_catalog(config).documents()
    for product in products:
        product["price_effective_at"] = START
    db.products.insert_many(products)
    upsert_documents(db, "customers", (c for start in starts for c in customers_for_window(config, start)))
    landed = land_order_windows(client, db, config, starts, Settings.mongodb_orders_per_transaction)
    return landed.orders_inserted


def best_of(rounds: int, action: Callable[[], object]) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(rounds):
        started = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=365, help="days of default data")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each analysis; the best counts")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="HOME",
        help="state folder of the embedded servers, kept after the run (with external servers: keep the database); "
        "a later run with the same --keep and --days reuses the landed data",
    )
    args = parser.parse_args()
    with bench_servers(args.keep) as servers:
        client: pymongo.MongoClient = pymongo.MongoClient(servers.mongodb_uri, tz_aware=True)
        db = client[DATABASE]
        reused = args.keep is not None and db[LANDED].find_one({"_id": "days", "days": args.days}) is not None
        started = time.perf_counter()
        if reused:
            ensure_schema(db)  # indexes added since the data was landed
            orders = db.orders.estimated_document_count()
        else:
            client.drop_database(DATABASE)  # a run stopped half-way leaves it behind on external servers
            orders = land_year(client, db, args.days)
            db[LANDED].insert_one({"_id": "days", "days": args.days})
        lines, customers = db.order_items.estimated_document_count(), db.customers.estimated_document_count()
        seconds = time.perf_counter() - started
        how = "reused" if reused else "landed"
        print(f"{how} {args.days} days: {orders:,} orders, {lines:,} lines, {customers:,} customers in {seconds:.0f}s")

        print(f"analyses (best of {args.rounds}; target < {TARGET_SECONDS:.0f} s each)")
        timings = {
            "highest-revenue category": lambda: next(iter(analyses.revenue_by_category(db).items())),
            "top customer by spending": lambda: analyses.top_customer(db),
            "inactive customers": lambda: len(analyses.inactive_customers(db)),
            "top-selling product": lambda: analyses.top_selling_product(db),
            "out-of-stock products": lambda: len(analyses.out_of_stock_products(db)),
            "total revenue": lambda: analyses.total_revenue(db),
            "top 5% customer concentration": lambda: analyses.customer_concentration(db),
        }
        slowest = 0.0
        for label, action in timings.items():
            seconds, result = best_of(args.rounds, action)
            slowest = max(slowest, seconds)
            print(f"  {label:<32} {seconds:>7.3f} s  {seconds / TARGET_SECONDS:5.2f} x target   {_short(result)}")
        print(f"  target (each < {TARGET_SECONDS:.0f} s): {'met' if slowest < TARGET_SECONDS else 'NOT met'}")
        for name, indexes in analyses.lookup_indexes(db).items():
            print(f"  explain {name:<24} $lookup indexes: {', '.join(indexes) or 'NONE (collection scan)'}")

        print("referencing (order_items) vs embedding (orders.items), best of rounds")
        pairs = {
            "revenue by category": (
                ("products", analyses.REVENUE_BY_CATEGORY),
                ("orders", EMBEDDED_REVENUE_BY_CATEGORY),
            ),
            "top-selling product": (("order_items", REFERENCED_TOP_PRODUCT), ("orders", EMBEDDED_TOP_PRODUCT)),
        }
        for label, ((ref_coll, ref), (emb_coll, emb)) in pairs.items():
            ref_s, ref_rows = best_of(args.rounds, lambda c=ref_coll, p=ref: list(db[c].aggregate(p)))
            emb_s, emb_rows = best_of(args.rounds, lambda c=emb_coll, p=emb: list(db[c].aggregate(p)))
            same = "same answer" if ref_rows == emb_rows else "DIFFERENT answers"
            print(f"  {label:<24} referenced {ref_s:6.3f} s   embedded {emb_s:6.3f} s   ({same})")
        one = db.orders.find_one({}, sort=[("_id", -1)])
        order_s, _ = best_of(20, lambda: db.orders.find_one({"_id": one["_id"]}))
        lines_s, _ = best_of(20, lambda: (db.orders.find_one({"_id": one["_id"]}, {"items": 0}),
                                          list(db.order_items.find({"order_id": one["_id"]}))))  # fmt: skip
        print(
            f"  {'one order with its lines':<24} referenced {lines_s * 1000:6.2f} ms  embedded {order_s * 1000:6.2f} ms"
        )
        for name in ("orders", "order_items"):
            stats = db.command("collStats", name)
            data, stored, indexes = (stats[key] / 2**20 for key in ("size", "storageSize", "totalIndexSize"))
            print(
                f"  {name:<12} {stats['count']:>10,} documents  {data:8.1f} MiB data  {stored:7.1f} MiB stored  "
                f"{indexes:7.1f} MiB indexes"
            )
        if args.keep is None:
            client.drop_database(DATABASE)
        client.close()
    return 0


def _short(result: object) -> str:
    text = str(result)
    return text if len(text) < 90 else text[:87] + "..."


if __name__ == "__main__":
    sys.exit(main())
