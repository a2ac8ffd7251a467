"""The `shopease` command: servers, the demo run and reports."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Sequence

from shopease_platform.services import ServiceError, ServiceManager
from shopease_platform.settings import Settings, SettingsError


def _services(args: argparse.Namespace, settings: Settings) -> int:
    manager = ServiceManager(settings)
    if args.action == "up":
        started = time.monotonic()
        endpoints = manager.up()
        print(f"MongoDB    ({endpoints.mongodb_source}): {endpoints.mongodb_uri}")
        print(f"PostgreSQL ({endpoints.postgres_source}): {endpoints.postgres_url}")
        if endpoints.s3 is not None:
            print(f"S3         ({endpoints.s3.source}): {endpoints.s3.url} bucket {settings.s3_bucket}")
        print(f'ready in {time.monotonic() - started:.1f}s; `eval "$(shopease services env)"` exports them')
    elif args.action == "down":
        stopped = manager.down()
        print("stopped: " + ", ".join(stopped) if stopped else "nothing was running")
    elif args.action == "status":
        print("\n".join(manager.status()))
    elif args.action == "env":
        for key, value in manager.endpoints().as_env(settings).items():
            print(f"export {key}={shlex.quote(value)}")
    return 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from shopease_platform.demo import run_demo

    return run_demo(settings, days=args.days)


def _backfill(args: argparse.Namespace, settings: Settings) -> int:
    from shopease_platform.demo import run_window_job
    from shopease_platform.orchestration.backfill import parse_window

    try:
        first, last = parse_window(args.start), parse_window(args.end, last_of_day=True)
    except ValueError as error:
        raise SettingsError(f"--start/--end: {error}") from None
    if first < settings.start_date:
        raise SettingsError(f"--start {args.start} is before SHOPEASE_START_DATE ({settings.start_date.date()})")
    results = run_window_job(settings, first, last)
    return 0 if results and all(r.success for r in results) else 1


def _mongo_report(args: argparse.Namespace, settings: Settings) -> int:
    import pymongo

    from shopease_platform.mongo_store.analyses import lookup_indexes
    from shopease_platform.mongo_store.reports import all_reports, render

    endpoints = ServiceManager(settings).endpoints()
    client: pymongo.MongoClient = pymongo.MongoClient(endpoints.mongodb_uri, tz_aware=True)
    try:
        db = client[settings.mongodb_database]
        for report in all_reports(db):
            print(render(report) + "\n")
        if args.explain:
            for name, indexes in lookup_indexes(db).items():
                print(f"{name}: $lookup uses {', '.join(indexes) or 'no index (collection scan)'}")
    finally:
        client.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shopease", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    services = commands.add_parser("services", help="embedded MongoDB and PostgreSQL")
    services.add_argument("action", choices=["up", "down", "status", "env"])
    services.set_defaults(handler=_services)

    demo = commands.add_parser("demo", help="start services and materialize the whole graph for recent days")
    demo.add_argument("--days", type=int, default=None, help="days of history (default SHOPEASE_DEMO_DAYS)")
    demo.set_defaults(handler=_demo)

    backfill = commands.add_parser(
        "backfill", help="run the whole graph over a range of windows (a few single-run ranges, with progress)"
    )
    backfill.add_argument("--start", required=True, help="first window: 2026-08-01 or 2026-08-01-06:00")
    backfill.add_argument("--end", required=True, help="last window (inclusive): 2026-10-30 or 2026-10-30-21:00")
    backfill.set_defaults(handler=_backfill)

    report = commands.add_parser("mongo-report", help="the MongoDB brief's analyses, straight from MongoDB")
    report.add_argument("--explain", action="store_true", help="also show the indexes the $lookup stages use")
    report.set_defaults(handler=_mongo_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        return int(args.handler(args, settings))
    except (SettingsError, ServiceError) as error:
        print(f"shopease: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
