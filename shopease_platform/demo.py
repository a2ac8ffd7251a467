"""`make demo` and `shopease backfill`: start (or reuse) the servers and run the whole graph on the Dagster instance.

The job that the 3-hour schedule runs (`shopease_window_job`) runs here over a range of windows as one single
run (or in runs of `SHOPEASE_BACKFILL_CHUNK_DAYS` days when that is set); the Dagster UI shows them like any other.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import dagster as dg
import pymongo

from shopease_platform.console import RunConsole, RunOutcome
from shopease_platform.console.summary import print_headline, summary_file
from shopease_platform.orchestration.backfill import run_range
from shopease_platform.resources.dbt_project import prepare_manifest
from shopease_platform.services import Endpoints, ServiceManager
from shopease_platform.settings import Settings, redact
from shopease_platform.window import WINDOW, window_of


def demo_range(settings: Settings, days: int, now: datetime) -> tuple[datetime, datetime]:
    """First and last window of the `days` days ending with the last closed window before `now`."""
    last = window_of(now) - WINDOW
    if last < settings.start_date:
        raise ValueError(f"no closed window yet before {now.isoformat()}: check SHOPEASE_START_DATE")
    return max(window_of(now - timedelta(days=days)), settings.start_date), last


def run_window_job(
    settings: Settings, first: datetime, last: datetime, endpoints: Endpoints | None = None, command: str = "backfill"
) -> list[RunOutcome]:
    """Start (or reuse) the servers and run the whole-graph job over first..last (one run unless chunked)."""
    with RunConsole(settings, command) as console:
        endpoints = endpoints or ServiceManager(settings).up()
        os.environ.update(endpoints.as_env(settings))
        console.say(f"MongoDB    ({endpoints.mongodb_source}): {redact(endpoints.mongodb_uri)}")
        console.say(f"PostgreSQL ({endpoints.postgres_source}): {redact(endpoints.postgres_url)}")
        if endpoints.s3 is not None:
            console.say(f"S3         ({endpoints.s3.source}): {endpoints.s3.url} bucket {settings.s3_bucket}")

        prepare_manifest()  # before the dbt assets are imported: they read the manifest
        from shopease_platform.definitions import build_definitions
        from shopease_platform.orchestration.jobs import WINDOW_JOB

        job = build_definitions(settings).resolve_job_def(WINDOW_JOB)
        with dg.DagsterInstance.get() as instance:
            hold_storage_connections(instance)
            console.recover(endpoints, instance)
            return run_range(
                lambda chunk: console.execute(job, chunk, instance),
                first,
                last,
                settings.backfill_chunk_days,
                report=console.say,
            )


def hold_storage_connections(instance: dg.DagsterInstance) -> None:
    """Keep the instance's PostgreSQL connections open for the command, as Dagster's webserver does.

    Dagster's PostgreSQL storage opens a new connection for every event it stores by default; a run writes
    several events per dbt test, and a one-window tick spent about 15 s of its 67 s connecting (measured on
    2 cores). One command runs one job at a time, so a small pool is enough; no statement timeout.
    """
    instance.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=4)


def run_demo(settings: Settings, days: int | None = None, now: datetime | None = None) -> int:
    started = time.monotonic()
    first, last = demo_range(settings, days or settings.demo_days, now or datetime.now(UTC))
    results = run_window_job(settings, first, last, command="demo")
    if not all(r.success for r in results):
        return 1
    endpoints = ServiceManager(settings).endpoints()
    with summary_file(settings.home) as summary:  # the full answers go to a file, the headline to the terminal
        if settings.raw_store == "mongodb":  # the cloud version leaves MongoDB empty: its reports would show nothing
            print_summary(endpoints, settings)
        print_warehouse_summary(endpoints.postgres_url, first, last + WINDOW)
    print_headline(endpoints.postgres_url, first, last + WINDOW)
    print(f"full summary (MongoDB reports, warehouse answers): {summary}")
    print_deliverables(settings)
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


WAREHOUSE_ANSWERS = (
    (
        "Top 10 products by orders (demo period)",
        ("product_id", "product", "category", "orders", "units", "sales"),
        """select product_id, product_name, category, sum(order_count), sum(total_quantity), sum(total_sales)
           from analytics.mart_product_sales_daily where order_date >= %(first)s and order_date < %(end)s
           group by 1, 2, 3 order by 4 desc, 6 desc, 1 limit 10""",
    ),
    (
        "Top category by sales (demo period)",
        ("category", "orders", "units", "sales"),
        """select category, count(distinct order_id), sum(quantity), sum(line_revenue) from analytics.fct_order_items
           where ordered_at >= %(first)s and ordered_at < %(end)s group by 1 order by 4 desc, 1 limit 1""",
    ),
    (
        "Total revenue and the top 5% of customers' share of it (all loaded history)",
        ("total_revenue", "customers", "top_5pct_customers", "top_5pct_sales", "top_5pct_share"),
        """select total_sales, customers, top_customers, top_customer_sales, round(100 * top_customer_share, 2) || '%%'
           from analytics.mart_customer_concentration where period_grain = 'all'""",
    ),
    (
        "Each state's #1 product by units (demo period)",
        ("state", "product_id", "product", "units", "sales"),
        """select state_code, product_id, product_name, units, sales from (
               select state_code, product_id, product_name, sum(total_quantity) as units, sum(total_sales) as sales,
                      row_number() over (partition by state_code
                                         order by sum(total_quantity) desc, sum(total_sales) desc, product_id) as n
               from analytics.mart_state_product_monthly
               where month_start >= date_trunc('month', %(first)s::timestamptz) and month_start < %(end)s
               group by 1, 2, 3) ranked
           where n = 1 order by state_code""",
    ),
)


def print_warehouse_summary(postgres_url: str, first: datetime, end: datetime) -> None:
    """The main questions answered from the dbt marts in PostgreSQL."""
    import psycopg

    from shopease_platform.mongo_store.reports import Report, render

    with psycopg.connect(postgres_url) as conn:
        for title, columns, query in WAREHOUSE_ANSWERS:
            rows = conn.execute(query, {"first": first, "end": end}).fetchall()
            print(render(Report(title, columns, [tuple(row) for row in rows])) + "\n")


def print_deliverables(settings: Settings) -> None:
    files = sorted(settings.output_dir.glob("*.hyper")) + sorted(settings.output_dir.glob("*.html"))
    print("Deliverables (open the .html in a browser, the .hyper/.tds in Tableau):")
    for path in files:
        print(f"  {path}")
