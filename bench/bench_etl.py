"""MongoDB -> PostgreSQL load speed and memory: this loader vs the usual alternatives, on the same documents.

One 3-hour window holding about `--lines` order lines (default 1,000,000) is simulated, written to MongoDB,
then loaded several ways:
  * the platform's loader (raw BSON batches validated column-wise, binary COPY, one transaction), in a child
    process so its peak memory and CPU can be read, with the CPU of the PostgreSQL backend it loads through;
  * the loader's two ends alone, which bound what any loader into these tables can do on this machine:
    MongoDB alone (the window's raw batches read, nothing done with them) and PostgreSQL alone (the
    window's rows, encoded beforehand and held in memory, copied in one transaction);
  * a naive find -> row-by-row INSERT, on a sample (it is far too slow for the whole window);
  * pandas `json_normalize` + `to_sql` on a sample, as usually written (defaults) and tuned (psycopg 3, chunks).
The loader and its ends run `--rounds` times, alternating, and their best round counts: this machine's speed
drifts by a fifth from one minute to the next. Rates are order lines per second, end to end (read from
MongoDB to committed in PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pymongo

from bench.common import bench_servers, figure, ratio
from shopease_platform.etl import loader
from shopease_platform.etl.raw_cursor import raw_batches
from shopease_platform.etl.tables import ensure_raw_tables
from shopease_platform.mongo_store.schema import ensure_schema
from shopease_platform.services import Endpoints
from shopease_platform.simulation import SimulationConfig

WINDOW_START = datetime(2026, 11, 27, 18, tzinfo=UTC)  # a Friday evening in the November peak
WINDOW = (WINDOW_START, WINDOW_START + timedelta(hours=3))
WINDOW_QUERY = {"ordered_at": {"$gte": WINDOW[0], "$lt": WINDOW[1]}}
DATABASE = "bench_etl"


def window_config(lines: int) -> SimulationConfig:
    """A simulation whose window at WINDOW_START holds about `lines` order lines."""
    from shopease_platform.simulation import SimulationConfig, orders_for_window

    probe = SimulationConfig(start=datetime(2026, 1, 1, tzinfo=UTC))
    sample = orders_for_window(probe, WINDOW_START)
    lines_per_order_at_base = sum(len(o["items"]) for o in sample) / probe.base_orders_per_window
    return SimulationConfig(
        start=datetime(2026, 1, 1, tzinfo=UTC), base_orders_per_window=lines / lines_per_order_at_base
    )


def simulate_into_mongo(uri: str, lines: int) -> int:
    """Write one window of simulated business with about `lines` order lines; returns the real line count."""
    from shopease_platform.simulation import build_catalog, build_stores, orders_for_window

    config = window_config(lines)
    started = time.monotonic()
    orders = orders_for_window(config, WINDOW_START)
    client: pymongo.MongoClient = pymongo.MongoClient(uri, tz_aware=True)
    client.drop_database(DATABASE)
    db = client[DATABASE]
    ensure_schema(db)
    db.products.insert_many(build_catalog(config).documents())
    db.stores.insert_many(build_stores(config))
    customer_ids = sorted({o["customer_id"] for o in orders})
    db.customers.insert_many([{"_id": c, "email": f"{c}@bench"} for c in customer_ids])
    for start in range(0, len(orders), 20_000):
        db.orders.insert_many(orders[start : start + 20_000], ordered=False)
    total = sum(len(o["items"]) for o in orders)
    print(f"  simulated and wrote {len(orders):,} orders / {total:,} lines in {time.monotonic() - started:.1f}s")
    client.close()
    return total


def reset_postgres(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("drop schema if exists raw cascade")
        ensure_raw_tables(conn)


def _process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a local process (the PostgreSQL backend of a connection), None if not readable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb() -> float:
    """This process's peak resident memory.

    `ru_maxrss` survives fork and exec on Linux, so a child started by this (large) benchmark process would
    report the parent's peak; the kernel's per-process high-water mark (VmHWM) starts afresh at exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _backend_cpu(conn: psycopg.Connection, started: float | None) -> float | None:
    now = _process_cpu_seconds(conn.info.backend_pid)
    return None if None in (started, now) else now - started


def child_load(mongo_uri: str, postgres_url: str, batch_size: int) -> dict:
    """Runs in a fresh process: load the window; seconds, CPU and peak RSS."""
    client: pymongo.MongoClient = pymongo.MongoClient(mongo_uri, tz_aware=True)
    baseline_mb = _peak_rss_mb()
    started, cpu_started = time.monotonic(), time.process_time()
    with psycopg.connect(postgres_url) as conn:
        backend_started = _process_cpu_seconds(conn.info.backend_pid)
        with conn.transaction():
            result = loader.load_orders(client[DATABASE], conn, WINDOW, batch_size=batch_size)
        backend_cpu = _backend_cpu(conn, backend_started)
    return {"seconds": time.monotonic() - started, "lines": result.rows["order_items"],
            "rejected": result.rows_rejected, "peak_mb": _peak_rss_mb(), "import_mb": baseline_mb,
            "cpu": time.process_time() - cpu_started, "backend_cpu": backend_cpu}  # fmt: skip


def child_ends(mongo_uri: str, postgres_url: str, batch_size: int) -> dict:
    """Runs in a fresh process: the loader's ends, each alone.

    MongoDB alone: the window's raw batches, read and dropped. Then the loader's own batches are prepared
    (read, validated, encoded) and kept in memory, and PostgreSQL alone copies them into the raw tables in one
    transaction, as the loader would, with no other work on the machine.
    """
    db = pymongo.MongoClient(mongo_uri, tz_aware=True)[DATABASE]
    started = time.monotonic()
    documents = sum(len(batch) for batch in raw_batches(db.orders, WINDOW_QUERY, batch_size))
    mongodb_seconds = time.monotonic() - started
    batches = list(loader.order_batches(db, WINDOW, loader.OrderReferences.read(db), batch_size))
    with psycopg.connect(postgres_url) as conn:
        backend_started = _process_cpu_seconds(conn.info.backend_pid)
        started = time.monotonic()
        with conn.transaction():
            loader.clear_order_window(conn, WINDOW)
            for batch in batches:
                loader.copy_order_batch(conn, batch)
        postgres_seconds = time.monotonic() - started
        backend_cpu = _backend_cpu(conn, backend_started)
    return {"documents": documents, "mongodb_seconds": mongodb_seconds, "postgres_seconds": postgres_seconds,
            "lines": sum(b.line_count for b in batches), "backend_cpu": backend_cpu}  # fmt: skip


CHILDREN = {"load": child_load, "ends": child_ends}


def run_child(name: str, servers: Endpoints, batch_size: int) -> dict:
    """One child run on fresh raw tables, after a checkpoint (so no run pays for another's dirty pages)."""
    reset_postgres(servers.postgres_url)
    with psycopg.connect(servers.postgres_url, autocommit=True) as conn:
        conn.execute("checkpoint")
    child = subprocess.run(
        [sys.executable, "-m", "bench.bench_etl", "--batch-size", str(batch_size), "--child", name,
         servers.mongodb_uri, servers.postgres_url],
        capture_output=True, text=True, check=True, env=os.environ,
    )  # fmt: skip
    return json.loads(child.stdout.strip().splitlines()[-1])


def naive_insert(mongo_uri: str, postgres_url: str, sample_lines: int) -> tuple[int, float]:
    """find() then one INSERT per order and per line: the loop many first loaders are."""
    client: pymongo.MongoClient = pymongo.MongoClient(mongo_uri, tz_aware=True)
    lines = 0
    started = time.monotonic()
    with psycopg.connect(postgres_url) as conn:
        conn.execute("create temp table n_orders (like raw.orders)")
        conn.execute("create temp table n_items (like raw.order_items)")
        for doc in client[DATABASE].orders.find(WINDOW_QUERY):
            conn.execute(
                "insert into n_orders (order_id, customer_id, store_id, ordered_at, status, currency, order_total,"
                " line_count, _source_id, _loaded_at) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, now())",
                (doc["_id"], doc["customer_id"], doc["store_id"], doc["ordered_at"], doc["status"], doc["currency"],
                 doc["order_total"], len(doc["items"]), doc["_id"]),
            )  # fmt: skip
            for item in doc["items"]:
                conn.execute(
                    "insert into n_items (order_id, line_number, product_id, quantity, unit_price, line_revenue,"
                    " ordered_at, _source_id, _loaded_at) values (%s, %s, %s, %s, %s, %s, %s, %s, now())",
                    (doc["_id"], item["line_number"], item["product_id"], item["quantity"], item["unit_price"],
                     item["quantity"] * item["unit_price"], doc["ordered_at"], doc["_id"]),
                )  # fmt: skip
                lines += 1
            if lines >= sample_lines:
                break
        conn.commit()
    return lines, time.monotonic() - started


def pandas_to_sql(mongo_uri: str, postgres_url: str, sample_lines: int, tuned: bool) -> tuple[int, float]:
    """json_normalize + DataFrame.to_sql through SQLAlchemy: the common notebook path.

    `tuned=False` is the path as usually written (the URL's default driver, `to_sql` defaults);
    `tuned=True` adds psycopg 3 and 10,000-row chunks, the best this path does here.
    """
    import pandas as pd
    import sqlalchemy

    client: pymongo.MongoClient = pymongo.MongoClient(mongo_uri, tz_aware=True)
    started = time.monotonic()
    docs = list(client[DATABASE].orders.find(WINDOW_QUERY).limit(sample_lines // 2))
    items = pd.json_normalize(docs, record_path="items", meta=["_id", "customer_id", "ordered_at"])
    orders = pd.json_normalize(docs).drop(columns=["items"])
    url = postgres_url.replace("postgresql://", "postgresql+psycopg://") if tuned else postgres_url
    options = {"chunksize": 10_000} if tuned else {}
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        orders.to_sql("p_orders", conn, schema="raw", if_exists="replace", index=False, **options)
        items.to_sql("p_items", conn, schema="raw", if_exists="replace", index=False, **options)
    engine.dispose()
    return len(items), time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines in the window")
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="runs of the loader and of its ends, alternating")
    parser.add_argument("--naive-sample", type=int, default=20_000, help="lines for the row-by-row baseline")
    parser.add_argument("--pandas-sample", type=int, default=200_000, help="lines for the pandas baseline")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "MONGO_URI", "POSTGRES_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *urls = args.child
        print(json.dumps(CHILDREN[kind](*urls, args.batch_size)))
        return 0

    with bench_servers() as servers:
        print(f"ETL benchmark: one window of ~{args.lines:,} order lines, {args.rounds} rounds")
        lines = simulate_into_mongo(servers.mongodb_uri, args.lines)
        loads, ends = [], []
        for number in range(1, args.rounds + 1):
            load, end = run_child("load", servers, args.batch_size), run_child("ends", servers, args.batch_size)
            assert load["lines"] == end["lines"] == lines and load["rejected"] == 0, load
            loads.append(load)
            ends.append(end)
            print(
                f"  round {number}: loader {load['seconds']:.2f}s, PostgreSQL alone {end['postgres_seconds']:.2f}s,"
                f" MongoDB alone {end['mongodb_seconds']:.2f}s",
                flush=True,
            )
        reset_postgres(servers.postgres_url)
        loaded = min(loads, key=lambda run: run["seconds"])
        loader_rate = lines / loaded["seconds"]
        median_rate = lines / statistics.median(run["seconds"] for run in loads)
        postgres = min(ends, key=lambda run: run["postgres_seconds"])
        postgres_rate = lines / postgres["postgres_seconds"]
        mongodb_rate = lines / min(run["mongodb_seconds"] for run in ends)
        naive_lines, naive_seconds = naive_insert(servers.mongodb_uri, servers.postgres_url, args.naive_sample)
        pandas_runs = {
            tuned: pandas_to_sql(servers.mongodb_uri, servers.postgres_url, args.pandas_sample, tuned)
            for tuned in (False, True)
        }
        naive_rate = naive_lines / naive_seconds
        pandas_default_rate = pandas_runs[False][0] / pandas_runs[False][1]
        pandas_rate = pandas_runs[True][0] / pandas_runs[True][1]

        print("results (order lines per second, read from MongoDB to committed in PostgreSQL)")
        figure("loader: lines", lines, "lines")
        figure("loader: seconds (best round)", loaded["seconds"], "s")
        figure("loader: rate (best round)", loader_rate, "lines/s")
        figure("loader: rate (median round)", median_rate, "lines/s")
        figure("loader: peak memory of the loading process", loaded["peak_mb"], "MB")
        figure("loader: CPU of the loading process", loaded["cpu"], "s")
        if loaded["backend_cpu"] is not None:  # one backend does every insert
            figure("loader: CPU of its PostgreSQL backend", loaded["backend_cpu"], "s")
        figure("MongoDB alone: raw batches read", mongodb_rate, "lines/s")
        figure("PostgreSQL alone: encoded rows copied", postgres_rate, "lines/s")
        if postgres["backend_cpu"] is not None:
            figure("PostgreSQL alone: CPU of its backend", postgres["backend_cpu"], "s")
        figure(f"naive find -> INSERT ({naive_lines:,} lines)", naive_rate, "lines/s")
        figure(f"pandas to_sql, defaults ({pandas_runs[False][0]:,} lines)", pandas_default_rate, "lines/s")
        figure(f"pandas to_sql, psycopg 3 + chunks ({pandas_runs[True][0]:,} lines)", pandas_rate, "lines/s")
        ratio("loader / PostgreSQL alone", loader_rate, postgres_rate)
        ratio("loader / naive INSERT", loader_rate, naive_rate)
        ratio("loader / pandas to_sql, defaults", loader_rate, pandas_default_rate)
        ratio("loader / pandas to_sql, psycopg 3 + chunks", loader_rate, pandas_rate)
        ratio("PostgreSQL alone / pandas to_sql, defaults", postgres_rate, pandas_default_rate)
        for label, met in (
            ("rate >= 200k lines/s", loader_rate >= 200_000),
            ("peak memory < 500 MB", loaded["peak_mb"] < 500),
            (">= 50x pandas to_sql, defaults", loader_rate / pandas_default_rate >= 50),
            (">= 50x pandas to_sql, psycopg 3 + chunks", loader_rate / pandas_rate >= 50),
        ):
            print(f"  target {label}: {'met' if met else 'NOT met'}")
        if postgres_rate < 50 * pandas_default_rate:
            print(
                f"  50x pandas to_sql (defaults) is {50 * pandas_default_rate:,.0f} lines/s, more than PostgreSQL"
                f" alone takes into these tables ({postgres_rate:,.0f}): no loader into them reaches it here"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
