"""The cloud version's speed: landing a window in S3 and loading it into PostgreSQL, beside the MongoDB path.

The same window as `bench_etl` (about `--lines` order lines, default 1,000,000, a Friday evening in the November
peak) is landed in both raw stores: by `s3_store.landing` into the embedded SeaweedFS (or SHOPEASE_S3_ENDPOINT_URL),
and into MongoDB as `bench_etl` writes it, batched `insert_many` with the customers it references (the platform's
MongoDB writer puts a window in one transaction, which a window this large does not fit in the embedded mongod's
1 GB cache). Each store's loader then loads it into PostgreSQL
(`etl.loader.load_orders`, `etl.s3_source.load_orders`) in one transaction, each load in a fresh process so
its peak memory can be read (the S3 loader holds one Parquet part at a time, so its memory does not grow with
the window). Rates are order lines per second; each figure is the best of `--rounds`, with the window's
customer identities (Faker) made beforehand, a cost both paths would share. The S3 ratios are against the
MongoDB path measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pymongo

from bench.bench_etl import WINDOW, WINDOW_START, _peak_rss_mb, reset_postgres, window_config
from bench.common import bench_servers, figure, ratio
from shopease_platform.etl import loader, s3_source
from shopease_platform.mongo_store.schema import ensure_schema
from shopease_platform.mongo_store.writer import insert_missing
from shopease_platform.s3_store import S3Location, landing
from shopease_platform.services import seaweedfs
from shopease_platform.services.s3_endpoint import S3Credentials, ensure_bucket, s3_client
from shopease_platform.simulation import build_catalog, build_stores, customer_documents, orders_for_window

DATABASE = "bench_s3"
BUCKET = "shopease-bench"


def _best(rounds: int, run, prepare=lambda: None) -> tuple[float, int]:
    """Fastest of `rounds` runs of `run()` (which returns the lines it moved), each after an untimed `prepare()`."""
    best, lines = float("inf"), 0
    for _ in range(rounds):
        prepare()
        started = time.monotonic()
        lines = run()
        best = min(best, time.monotonic() - started)
    return best, lines


def child_load(source: str, mongo_uri: str, postgres_url: str, s3_url: str) -> dict:
    """Runs in a fresh process: load the window from `source` (mongodb or s3); seconds, lines, peak RSS."""
    if source == "s3":
        store = S3Location(s3_client(s3_url), BUCKET, "bench", s3_url)  # keys from the AWS variables

        def load(conn: psycopg.Connection) -> loader.LoadResult:
            return s3_source.load_orders(store, conn, WINDOW)
    else:
        db = pymongo.MongoClient(mongo_uri, tz_aware=True)[DATABASE]

        def load(conn: psycopg.Connection) -> loader.LoadResult:
            return loader.load_orders(db, conn, WINDOW)

    baseline_mb = _peak_rss_mb()
    started = time.monotonic()
    with psycopg.connect(postgres_url) as conn, conn.transaction():
        result = load(conn)
    return {"seconds": time.monotonic() - started, "lines": result.rows["order_items"],
            "rejected": result.rows_rejected, "peak_mb": _peak_rss_mb(), "import_mb": baseline_mb}  # fmt: skip


def run_child(source: str, mongo_uri: str, postgres_url: str, s3_url: str, keys: S3Credentials | None) -> dict:
    reset_postgres(postgres_url)
    env = {**os.environ, **(keys.as_env() if keys else {})}
    child = subprocess.run(
        [sys.executable, "-m", "bench.bench_s3", "--child", source, mongo_uri, postgres_url, s3_url],
        capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", nargs=4, metavar=("SOURCE", "MONGODB_URI", "POSTGRES_URL", "S3_URL"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_load(*args.child)))
        return
    config = window_config(args.lines)
    print(f"bench_s3: one window of ~{args.lines:,} order lines, best of {args.rounds}")
    with bench_servers() as endpoints, tempfile.TemporaryDirectory(prefix="shopease-bench-s3-") as home:
        record = None
        url = os.environ.get("SHOPEASE_S3_ENDPOINT_URL")
        keys: S3Credentials | None = None
        if not url:
            record = seaweedfs.start(Path(home))
            url, keys = seaweedfs.endpoint_for(record.port), seaweedfs.credentials(Path(home))
        try:
            client = s3_client(url, keys)
            ensure_bucket(client, url, BUCKET)
            store = S3Location(client, BUCKET, "bench", url)
            mongo: pymongo.MongoClient = pymongo.MongoClient(endpoints.mongodb_uri, tz_aware=True)
            mongo.drop_database(DATABASE)
            db = mongo[DATABASE]
            ensure_schema(db)
            insert_missing(db, "products", build_catalog(config).documents())
            insert_missing(db, "stores", build_stores(config))
            landing.land_catalog(store, config)
            landing.land_stores(store, config)
            # Customer identities (Faker) are made once per process and cached: made here, neither path pays them.
            landing.simulate_order_window(config, WINDOW_START)

            def mongo_reset() -> None:
                db.orders.delete_many({})
                db.customers.delete_many({})

            def mongo_landing() -> int:
                orders = orders_for_window(config, WINDOW_START)
                ids = sorted({order["customer_id"] for order in orders})
                insert_missing(db, "customers", customer_documents(config, ids))
                for start in range(0, len(orders), 20_000):
                    db.orders.insert_many(orders[start : start + 20_000], ordered=False)
                return sum(len(order["items"]) for order in orders)

            def s3_landing() -> int:
                return landing.land_order_windows(store, config, [WINDOW_START]).lines

            def loads(source: str) -> dict:
                runs = [
                    run_child(source, endpoints.mongodb_uri, endpoints.postgres_url, url, keys)
                    for _ in range(args.rounds)
                ]
                assert all(run["rejected"] == 0 for run in runs), runs
                return min(runs, key=lambda run: run["seconds"])

            mongo_land = _best(args.rounds, mongo_landing, mongo_reset)
            s3_land = _best(args.rounds, s3_landing)
            mongo_load, s3_load = loads("mongodb"), loads("s3")
            mongo.drop_database(DATABASE)
            mongo.close()
        finally:
            if record is not None:
                seaweedfs.stop(record)
    print(f"  lines in the window: {s3_land[1]:,} (MongoDB {mongo_land[1]:,})")
    figure("MongoDB landing (simulate + insert_many)", mongo_land[1] / mongo_land[0], "lines/s")
    figure("S3 landing (simulate + Parquet + PUT)", s3_land[1] / s3_land[0], "lines/s")
    ratio("S3 landing vs MongoDB landing", mongo_land[0], s3_land[0])
    figure("MongoDB -> PostgreSQL load", mongo_load["lines"] / mongo_load["seconds"], "lines/s")
    figure("S3 -> PostgreSQL load", s3_load["lines"] / s3_load["seconds"], "lines/s")
    ratio("S3 load vs MongoDB load", mongo_load["seconds"], s3_load["seconds"])
    figure("MongoDB load: peak memory of the loading process", mongo_load["peak_mb"], "MB")
    figure("S3 load: peak memory of the loading process", s3_load["peak_mb"], "MB")
    figure("S3 load: memory after imports", s3_load["import_mb"], "MB")


if __name__ == "__main__":
    main()
