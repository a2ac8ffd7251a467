"""The whole graph as a user runs it: a year's backfill, the 3-hour tick, identities, memory, and the floor.

On one pair of servers, two histories live side by side (their own MongoDB database, warehouse and Dagster
storage): 30 days and `--days` (default 365) ending at END. For each, `shopease backfill` over the history is
one command, timed from start to extracts written, with its per-stage seconds read back from the Dagster run;
then one tick (`shopease backfill` of the next window) is timed the same way. The peak memory is the largest
resident set of any process a command ran (the `shopease` process or its dbt), servers aside.

The floor is what the machine's servers need for the same year with no platform around them: MongoDB
`insert_many` of the year's orders (raw BSON, no transaction) into an empty collection, and PostgreSQL COPY of
the year's order rows and lines, encoded beforehand and held in memory, into empty raw tables. The backfill's
ratio to that floor says what the platform adds. Identities are customer documents regenerated from ids
spread over the year, from cold caches.

`--keep DIR` keeps the servers and both histories in DIR; `--keep DIR --ticks-only` then times ticks alone on
them (each the window after the history's last run), so a change to the tick is measured in minutes, not in a
year's backfill. `--ticks N` times N ticks per history and reports their median, for a shared machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pymongo
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument

from bench.common import bench_servers, figure, ratio
from shopease_platform.services import Endpoints
from shopease_platform.settings import with_database

if TYPE_CHECKING:
    from dagster import DagsterInstance

END = datetime(2026, 11, 30, 21, tzinfo=UTC)
"""Last window of both histories; the tick is the window after it."""
START_DATE = "2025-11-01"
FMT = "%Y-%m-%d-%H:%M"
SHOPEASE = str(Path(sys.executable).with_name("shopease"))
SHORT, YEAR = "bench_graph_short", "bench_graph_year"
"""The two histories' names: their MongoDB database, warehouse, Dagster storage and state folder."""
TARGET_WINDOWS_PER_MIN, TARGET_TICK_S, TARGET_TICK_RATIO, TARGET_PEAK_MB, TARGET_IDENTITIES = 1000, 30, 1.2, 2048, 20000


def history_env(servers: Endpoints, home: Path, name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPEASE_", "DAGSTER_"))}
    return {
        **env,
        "SHOPEASE_HOME": str(home / name),
        "DAGSTER_HOME": str(home / name / "dagster_home"),
        "SHOPEASE_START_DATE": START_DATE,
        "SHOPEASE_MONGODB_URI": servers.mongodb_uri,
        "SHOPEASE_MONGODB_DATABASE": name,
        "SHOPEASE_POSTGRES_URL": with_database(servers.postgres_url, name),
        "SHOPEASE_DAGSTER_POSTGRES_URL": with_database(servers.postgres_url, f"{name}_dagster"),
    }


_MEASURED = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
sys.exit(code)
"""


def timed(env: dict[str, str], *args: str) -> tuple[float, float]:
    """(wall seconds, peak MB of the largest process) of one `shopease` command, from a fresh process."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, SHOPEASE, *args], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"shopease {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, float(done.stdout.strip().splitlines()[-1])


@contextmanager
def history_instance(env: dict[str, str]) -> Iterator[DagsterInstance]:
    """The history's Dagster instance (its dagster.yaml reads the storage URL from the environment)."""
    import dagster as dg

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            yield instance
    finally:
        os.environ.clear()
        os.environ.update(saved)


def stage_seconds(env: dict[str, str]) -> Counter[str]:
    """Seconds per step of the newest run on the history's Dagster instance."""
    import dagster as dg

    with history_instance(env) as instance:
        run = instance.get_runs(limit=1)[0]
        seconds: Counter[str] = Counter()
        for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_SUCCESS):
            event = record.dagster_event
            seconds[event.step_key] += event.event_specific_data.duration_ms / 1000
        return seconds


def backfill(servers: Endpoints, home: Path, days: int, name: str) -> dict:
    """A fresh history: `days` of windows ending at END, backfilled in one command; wall seconds, stages, memory."""
    env = history_env(servers, home, name)
    with psycopg.connect(with_database(servers.postgres_url, "postgres"), autocommit=True) as conn:
        for database in (name, f"{name}_dagster"):
            conn.execute(f"drop database if exists {database} with (force)")
            conn.execute(f"create database {database}")
    first = END - timedelta(days=days) + timedelta(hours=3)
    windows = int((END - first) / timedelta(hours=3)) + 1
    backfill_s, backfill_mb = timed(env, "backfill", "--start", first.strftime(FMT), "--end", END.strftime(FMT))
    return {"name": name, "env": env, "first": first, "windows": windows, "backfill_s": backfill_s,
            "backfill_mb": backfill_mb, "stages": stage_seconds(env)}  # fmt: skip


def last_window(env: dict[str, str]) -> datetime:
    """The last window the history's newest run covered."""
    with history_instance(env) as instance:
        tags = instance.get_runs(limit=1)[0].tags
    key = tags.get("dagster/asset_partition_range_end") or tags["dagster/partition"]
    return datetime.strptime(key, FMT).replace(tzinfo=UTC)


def ticks(run: dict, count: int) -> None:
    """`count` ticks, each `shopease backfill` of the window after the history's last; the median is the tick."""
    seconds, peaks = [], []
    for _ in range(count):
        tick = (last_window(run["env"]) + timedelta(hours=3)).strftime(FMT)
        tick_s, tick_mb = timed(run["env"], "backfill", "--start", tick, "--end", tick)
        seconds.append(tick_s)
        peaks.append(tick_mb)
    run.update(tick_s=statistics.median(seconds), tick_all=seconds, tick_mb=max(peaks),
               tick_stages=stage_seconds(run["env"]))  # fmt: skip


def floor(servers: Endpoints, year: dict) -> tuple[float, float, int, int]:
    """(MongoDB insert_many seconds, PostgreSQL COPY seconds, orders, lines) for the year's orders."""
    from shopease_platform.etl import loader
    from shopease_platform.etl.tables import ensure_raw_tables

    client: pymongo.MongoClient = pymongo.MongoClient(servers.mongodb_uri, tz_aware=True)
    window = (year["first"], END + timedelta(hours=3))
    raw = client[year["name"]].orders.with_options(codec_options=CodecOptions(document_class=RawBSONDocument))
    documents = list(raw.find({"ordered_at": {"$gte": window[0], "$lt": window[1]}}))
    target = client["bench_graph_floor"]
    client.drop_database(target.name)
    started = time.monotonic()
    for start in range(0, len(documents), 5_000):
        target.orders.insert_many(documents[start : start + 5_000], ordered=False)
    mongodb_s = time.monotonic() - started
    client.drop_database(target.name)
    del documents
    db = client[year["name"]]
    batches = list(loader.order_batches(db, window, loader.OrderReferences.read(db)))
    admin = with_database(servers.postgres_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("drop database if exists bench_graph_floor with (force)")
        conn.execute("create database bench_graph_floor")
    with psycopg.connect(with_database(servers.postgres_url, "bench_graph_floor")) as conn:
        ensure_raw_tables(conn)
        conn.commit()
        started = time.monotonic()
        with conn.transaction():
            for batch in batches:
                loader.copy_order_batch(conn, batch)
        postgres_s = time.monotonic() - started
    client.close()
    return mongodb_s, postgres_s, sum(b.order_count for b in batches), sum(b.line_count for b in batches)


def identities_per_second(days: int) -> tuple[int, float]:
    """Customer documents per second for every 10th customer of every window of the year, from cold caches."""
    from shopease_platform.simulation import SimulationConfig, customer_documents
    from shopease_platform.simulation.customers import cohort
    from shopease_platform.simulation.ids import customer_id

    config = SimulationConfig(start=datetime.fromisoformat(START_DATE).replace(tzinfo=UTC))
    windows = range(days * 8)
    ids = [customer_id(w, s) for w in windows for s in range(0, len(cohort(config, w)), 10)]
    cohort.cache_clear()
    started = time.monotonic()
    documents = customer_documents(config, ids)
    return len(documents), len(documents) / (time.monotonic() - started)


def report(label: str, run: dict, stages_key: str) -> None:
    for step, seconds in sorted(run[stages_key].items(), key=lambda item: -item[1]):
        figure(f"  {label}: {step}", seconds, "s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--short-days", type=int, default=30)
    parser.add_argument("--ticks", type=int, default=1, help="ticks per history; their median is reported")
    parser.add_argument(
        "--keep", type=Path, help="keep the servers and both histories in this folder instead of a temporary one"
    )
    parser.add_argument(
        "--ticks-only", action="store_true", help="only tick the histories a previous run left in --keep"
    )
    args = parser.parse_args()
    if args.ticks_only and args.keep is None:
        parser.error("--ticks-only needs --keep, the folder of a previous run")
    with tempfile.TemporaryDirectory(prefix="shopease-graph-") as scratch:
        home = args.keep or Path(scratch)
        if args.ticks_only:
            return tick_figures(home, args)
        return whole_graph(home, args)


def tick_figures(home: Path, args: argparse.Namespace) -> int:
    """Tick the histories of a previous run again: the tick's figures alone."""
    print(f"tick benchmark: the {args.days}-day and {args.short_days}-day histories in {home}")
    with bench_servers(home / "servers") as servers:
        short, year = ({"env": history_env(servers, home, name)} for name in (SHORT, YEAR))
        ticks(short, args.ticks)
        ticks(year, args.ticks)
    report_ticks(args, short, year)
    return 0


def report_ticks(args: argparse.Namespace, short: dict, year: dict) -> None:
    for days, run in ((args.short_days, short), (args.days, year)):
        figure(f"tick at {days} days of history, wall", run["tick_s"], "s")
        if len(run["tick_all"]) > 1:
            print(f"    ({len(run['tick_all'])} ticks: {', '.join(f'{s:.1f}' for s in run['tick_all'])} s)")
    report("tick stage", year, "tick_stages")
    ratio(f"tick: {args.days} days / {args.short_days} days", year["tick_s"], short["tick_s"])


def whole_graph(home: Path, args: argparse.Namespace) -> int:
    count, rate = identities_per_second(args.days)
    print(f"whole-graph benchmark: {args.days}-day and {args.short_days}-day histories ending {END:%Y-%m-%d %H:%M} UTC")
    figure(f"identities ({count:,} returning customers, cold)", rate, "docs/s")
    with bench_servers(home / "servers") as servers:
        short = backfill(servers, home, args.short_days, SHORT)
        ticks(short, args.ticks)
        year = backfill(servers, home, args.days, YEAR)
        ticks(year, args.ticks)
        mongodb_s, postgres_s, orders, lines = floor(servers, year)
    per_min = year["windows"] / year["backfill_s"] * 60
    figure(f"{args.days}-day backfill ({year['windows']:,} windows), wall", year["backfill_s"], "s")
    figure(f"{args.days}-day backfill", per_min, "windows/min")
    report("backfill stage", year, "stages")
    figure(f"{args.short_days}-day backfill, wall", short["backfill_s"], "s")
    report_ticks(args, short, year)
    peak = max(year["backfill_mb"], year["tick_mb"], short["backfill_mb"], short["tick_mb"])
    figure("peak memory (largest process)", peak, "MB")
    figure(f"floor: MongoDB insert_many, {orders:,} orders", mongodb_s, "s")
    figure(f"floor: PostgreSQL COPY alone, {lines:,} lines", postgres_s, "s")
    ratio("backfill / floor (MongoDB + PostgreSQL)", year["backfill_s"], mongodb_s + postgres_s)
    checks = {
        f"backfill >= {TARGET_WINDOWS_PER_MIN:,} windows/min": per_min >= TARGET_WINDOWS_PER_MIN,
        f"tick <= {TARGET_TICK_S} s at {args.days} days": year["tick_s"] <= TARGET_TICK_S,
        f"tick ratio <= {TARGET_TICK_RATIO}": year["tick_s"] <= TARGET_TICK_RATIO * short["tick_s"],
        f"peak memory < {TARGET_PEAK_MB} MB": peak < TARGET_PEAK_MB,
        f"identities >= {TARGET_IDENTITIES:,}/s": rate >= TARGET_IDENTITIES,
    }
    for label, met in checks.items():
        print(f"  target {label}: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
