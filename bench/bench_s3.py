"""The cloud version's speed: landing a window in S3 and loading it into PostgreSQL, beside the MongoDB path.

The same window as `bench_etl` (about `--lines` order lines, default 1,000,000, a Friday evening in the November
peak) is landed by both raw stores' own code (`mongo_store.order_windows` into MongoDB, `s3_store.landing` into
the embedded SeaweedFS, or SHOPEASE_S3_ENDPOINT_URL), then loaded into PostgreSQL by each store's loader
(`etl.loader.load_orders`, `etl.s3_source.load_orders`) in one transaction. Rates are order lines per second;
each figure is the best of `--rounds`, with the window's customer identities (Faker) made beforehand, a cost
both paths would share. The S3 ratios are against the MongoDB path measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import psycopg
import pymongo

from bench.bench_etl import WINDOW, WINDOW_START, reset_postgres, window_config
from bench.common import bench_servers, figure, ratio
from shopease_platform.etl import loader, s3_source
from shopease_platform.mongo_store.order_windows import land_order_windows as land_in_mongo
from shopease_platform.mongo_store.schema import ensure_schema
from shopease_platform.mongo_store.writer import insert_missing
from shopease_platform.s3_store import S3Location, landing
from shopease_platform.services import seaweedfs
from shopease_platform.services.s3_endpoint import S3Credentials, ensure_bucket, s3_client
from shopease_platform.simulation import build_catalog, build_stores

DATABASE = "bench_s3"
BUCKET = "shopease-bench"


def _best(rounds: int, run) -> tuple[float, int]:
    """Fastest of `rounds` runs of `run()` (which returns the lines it moved): seconds and lines."""
    best, lines = float("inf"), 0
    for _ in range(rounds):
        started = time.monotonic()
        lines = run()
        best = min(best, time.monotonic() - started)
    return best, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
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

            def mongo_landing() -> int:
                db.orders.delete_many({})
                return land_in_mongo(mongo, db, config, [WINDOW_START], 10**9).order_lines

            def s3_landing() -> int:
                return landing.land_order_windows(store, config, [WINDOW_START]).lines

            def load(source) -> int:
                reset_postgres(endpoints.postgres_url)
                with psycopg.connect(endpoints.postgres_url) as conn, conn.transaction():
                    return source(conn).rows["order_items"]

            mongo_land = _best(args.rounds, mongo_landing)
            s3_land = _best(args.rounds, s3_landing)
            mongo_load = _best(args.rounds, lambda: load(lambda conn: loader.load_orders(db, conn, WINDOW)))
            s3_load = _best(args.rounds, lambda: load(lambda conn: s3_source.load_orders(store, conn, WINDOW)))
            mongo.drop_database(DATABASE)
            mongo.close()
        finally:
            if record is not None:
                seaweedfs.stop(record)
    print(f"  lines in the window: {s3_land[1]:,} (MongoDB {mongo_land[1]:,})")
    figure("MongoDB landing (simulate + write)", mongo_land[1] / mongo_land[0], "lines/s")
    figure("S3 landing (simulate + Parquet + PUT)", s3_land[1] / s3_land[0], "lines/s")
    ratio("S3 landing vs MongoDB landing", mongo_land[0], s3_land[0])
    figure("MongoDB -> PostgreSQL load", mongo_load[1] / mongo_load[0], "lines/s")
    figure("S3 -> PostgreSQL load", s3_load[1] / s3_load[0], "lines/s")
    ratio("S3 load vs MongoDB load", mongo_load[0], s3_load[0])


if __name__ == "__main__":
    main()
