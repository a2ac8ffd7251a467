"""The raw PostgreSQL tables of the cloud version, loaded from the S3 windows: the same keys as the MongoDB load.

The tables, their transactions and their partitions are those of `postgres_raw`; only the source differs
(`etl.s3_source`), and the orders' reconciliation check compares PostgreSQL with each window's manifest.
"""

import time
from collections.abc import Callable
from datetime import datetime

import dagster as dg
from psycopg import Connection

from shopease_platform.assets.metadata import throughput, time_window
from shopease_platform.assets.postgres_raw import (
    COMMON,
    ORDER_ITEMS_KEY,
    ORDERS_KEY,
    PARTITIONED,
    REJECTED_KEY,
    RETRY,
    SPEC,
    _metadata,
)
from shopease_platform.assets.s3_raw import s3_customers, s3_price_events, s3_product_catalog, s3_raw_orders, s3_stores
from shopease_platform.checks.manifest_reconciliation import CHECK_NAME, reconcile_with_manifests
from shopease_platform.checks.reconciliation import rejects_check
from shopease_platform.etl import loader, s3_source
from shopease_platform.etl.tables import ensure_raw_tables
from shopease_platform.orchestration.partitions import WINDOWED
from shopease_platform.resources import PostgresResource
from shopease_platform.resources.etl import EtlResource
from shopease_platform.resources.s3 import S3Resource
from shopease_platform.s3_store.datasets import S3Location
from shopease_platform.window import WINDOW, window_starts


@dg.asset(key=["raw", "products"], deps=[s3_product_catalog, s3_price_events, s3_raw_orders], **COMMON)
def raw_products_from_s3(s3: S3Resource, postgres: PostgresResource) -> dg.MaterializeResult:
    """Products with the price and stock the landed windows give them, upserted by product_id."""
    started = time.monotonic()
    with postgres.connect() as conn:
        ensure_raw_tables(conn)
        result = s3_source.load_products(s3.get_store(), conn)
    return dg.MaterializeResult(metadata=_metadata(result, "products", started))


@dg.asset(key=["raw", "stores"], deps=[s3_stores], **COMMON)
def raw_stores_from_s3(s3: S3Resource, postgres: PostgresResource) -> dg.MaterializeResult:
    """The online store and branches, upserted by store_id."""
    started = time.monotonic()
    with postgres.connect() as conn:
        ensure_raw_tables(conn)
        result = s3_source.load_stores(s3.get_store(), conn)
    return dg.MaterializeResult(metadata=_metadata(result, "stores", started))


Load = Callable[[S3Location, Connection, tuple[datetime, datetime]], loader.LoadResult]


def _windowed_table_asset(table: str, deps: list[dg.AssetsDefinition], description: str, load: Load):
    """A raw table loaded window by window over the run's range, in one transaction."""

    @dg.asset(key=["raw", table], deps=deps, description=description, **PARTITIONED)
    def windowed_table(
        context: dg.AssetExecutionContext, s3: S3Resource, postgres: PostgresResource
    ) -> dg.MaterializeResult:
        started = time.monotonic()
        total = loader.LoadResult()
        store = s3.get_store()
        with postgres.connect() as conn:
            ensure_raw_tables(conn)
            conn.commit()
            with conn.transaction():
                for start in window_starts(context.partition_time_window):
                    total.add(load(store, conn, (start, start + WINDOW)))
        return dg.MaterializeResult(
            metadata={**_metadata(total, table, started), **time_window(context.partition_time_window)}
        )

    return windowed_table


raw_customers_from_s3 = _windowed_table_asset(
    "customers",
    [s3_customers, s3_raw_orders],
    "Customers created in each window and those its orders reference, upserted by customer_id.",
    s3_source.load_customers,
)
raw_price_events_from_s3 = _windowed_table_asset(
    "price_events",
    [s3_price_events],
    "Price events effective in each window; the window is replaced whole.",
    s3_source.load_price_events,
)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(ORDERS_KEY, deps=[s3_raw_orders], description="One row per order (raw.orders).", **SPEC),
        dg.AssetSpec(ORDER_ITEMS_KEY, deps=[s3_raw_orders], description="One row per order line (raw.order_items).",
                     **SPEC),
        dg.AssetSpec(REJECTED_KEY, deps=[s3_raw_orders], description="Quarantined rows and Parquet parts of every "
                     "raw load, with the collection, source id (a part's key), reason and payload.", **SPEC),
    ],
    check_specs=[
        dg.AssetCheckSpec(CHECK_NAME, asset=ORDERS_KEY, blocking=True,
                          description="Orders, lines and revenue equal the windows' manifests, quarantined rows "
                                      "and parts accounted for."),
        dg.AssetCheckSpec("rejected_documents", asset=ORDERS_KEY,
                          description="Warns when any order was quarantined; fails above the configured share."),
    ],
    partitions_def=WINDOWED,
    retry_policy=RETRY,
    can_subset=False,
)  # fmt: skip
def raw_orders_and_items_from_s3(
    context: dg.AssetExecutionContext, s3: S3Resource, postgres: PostgresResource, etl: EtlResource
):
    """Orders and their lines for each window, streamed from Parquet, validated, COPY-loaded, replaced per window."""
    started = time.monotonic()
    store = s3.get_store()
    references = s3_source.order_references(store)
    windows = list(window_starts(context.partition_time_window))
    total = loader.LoadResult()
    with postgres.connect() as conn:
        ensure_raw_tables(conn)
        conn.commit()
        for done, start in enumerate(windows, start=1):
            with conn.transaction():
                total.add(s3_source.load_orders(store, conn, (start, start + WINDOW), references, etl.batch_size))
            if done % 40 == 0 or done == len(windows):
                context.log.info(f"raw orders from S3: {done}/{len(windows)} windows, {total.rows_loaded:,} rows")
        reconciliation = reconcile_with_manifests(store, conn, windows, context.partition_time_window.end)
    documents = total.rows["orders"] + total.rejected["orders"]
    shared = {**time_window(context.partition_time_window), **throughput(total.rows_loaded, time.monotonic() - started)}
    yield dg.MaterializeResult(
        asset_key=ORDERS_KEY,
        metadata={"dagster/row_count": total.rows["orders"], "rows_rejected": total.rejected["orders"], **shared},
    )
    yield dg.MaterializeResult(
        asset_key=ORDER_ITEMS_KEY, metadata={"dagster/row_count": total.rows["order_items"], **shared}
    )
    yield dg.MaterializeResult(
        asset_key=REJECTED_KEY, metadata={"orders_quarantined": total.rejected["orders"], **shared}
    )
    yield reconciliation
    yield rejects_check(total.rejected["orders"], documents, etl.max_reject_share)


postgres_raw_s3_assets = [
    raw_products_from_s3,
    raw_stores_from_s3,
    raw_customers_from_s3,
    raw_price_events_from_s3,
    raw_orders_and_items_from_s3,
]
