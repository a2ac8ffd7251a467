"""The cloud version: the simulated business lands in S3 as Parquet windows, in place of MongoDB.

Asset keys mirror the MongoDB ones under `s3/`, so the lineage shows where the raw data lives; the PostgreSQL
`raw/...` tables downstream are the same. Each window is written atomically behind its manifest and a re-run
replaces it exactly, so any window or range can be re-materialized at any time.
"""

import time

import dagster as dg

from shopease_platform.assets.metadata import throughput, time_window
from shopease_platform.assets.mongo_raw import OWNERS, RETRY
from shopease_platform.orchestration.partitions import WINDOWED
from shopease_platform.resources.s3 import S3Resource
from shopease_platform.resources.simulation import SimulationResource
from shopease_platform.s3_store import landing
from shopease_platform.window import window_starts

GROUP = "s3_raw"
KINDS = {"s3", "parquet", "python"}
PARTITIONED = {
    "partitions_def": WINDOWED,
    "group_name": GROUP,
    "owners": OWNERS,
    "kinds": KINDS,
    "retry_policy": RETRY,
}


@dg.asset(key=["s3", "product_catalog"], group_name=GROUP, owners=OWNERS, kinds=KINDS, retry_policy=RETRY)
def s3_product_catalog(s3: S3Resource, simulation: SimulationResource) -> dg.MaterializeResult:
    """The product catalog as first priced and stocked (`products/`); live price and stock follow the windows."""
    manifest = landing.land_catalog(s3.get_store(), simulation.config())
    return dg.MaterializeResult(metadata={"dagster/row_count": int(manifest.totals["products"])})


@dg.asset(key=["s3", "stores"], group_name=GROUP, owners=OWNERS, kinds=KINDS, retry_policy=RETRY)
def s3_stores(s3: S3Resource, simulation: SimulationResource) -> dg.MaterializeResult:
    """The online store and the physical branches (`stores/`)."""
    manifest = landing.land_stores(s3.get_store(), simulation.config())
    return dg.MaterializeResult(metadata={"dagster/row_count": int(manifest.totals["stores"])})


@dg.asset(key=["s3", "customers"], **PARTITIONED)
def s3_customers(
    context: dg.AssetExecutionContext, s3: S3Resource, simulation: SimulationResource
) -> dg.MaterializeResult:
    """Customers who signed up in each window (`customers/window=.../`)."""
    store, config = s3.get_store(), simulation.config()
    written = sum(
        int(landing.land_customer_window(store, config, start).totals["customers"])
        for start in window_starts(context.partition_time_window)
    )
    return dg.MaterializeResult(metadata={"documents_written": written, **time_window(context.partition_time_window)})


@dg.asset(key=["s3", "price_events"], deps=[s3_product_catalog], **PARTITIONED)
def s3_price_events(
    context: dg.AssetExecutionContext, s3: S3Resource, simulation: SimulationResource
) -> dg.MaterializeResult:
    """Price changes effective in each window, and the prices in force then (`price_events/window=.../`)."""
    store, config = s3.get_store(), simulation.config()
    written = sum(
        int(landing.land_price_event_window(store, config, start).totals["price_events"])
        for start in window_starts(context.partition_time_window)
    )
    return dg.MaterializeResult(metadata={"documents_written": written, **time_window(context.partition_time_window)})


@dg.asset(key=["s3", "raw_orders"], deps=[s3_product_catalog, s3_stores, s3_customers, s3_price_events], **PARTITIONED)
def s3_raw_orders(
    context: dg.AssetExecutionContext, s3: S3Resource, simulation: SimulationResource
) -> dg.MaterializeResult:
    """Orders with their lines (`orders/window=.../`), with the customers they reference and the stock they move."""
    windows = list(window_starts(context.partition_time_window))
    started = time.monotonic()

    def log_progress(landed: landing.LandedWindows) -> None:
        if landed.windows % 40 == 0 or landed.windows == len(windows):
            context.log.info(f"s3 orders: {landed.windows}/{len(windows)} windows, {landed.orders:,} orders")

    landed = landing.land_order_windows(
        s3.get_store(), simulation.config(), windows, s3.orders_per_part, on_window=log_progress
    )
    return dg.MaterializeResult(
        metadata={
            "orders_written": landed.orders,
            "order_lines": landed.lines,
            "revenue": dg.MetadataValue.float(round(landed.revenue, 2)),
            "windows": landed.windows,
            "parts": landed.parts,
            "bytes": landed.bytes,
            **time_window(context.partition_time_window),
            **throughput(landed.lines, time.monotonic() - started),
        }
    )


s3_raw_assets = [s3_product_catalog, s3_stores, s3_customers, s3_price_events, s3_raw_orders]
