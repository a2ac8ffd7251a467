"""Raw PostgreSQL tables loaded from MongoDB, one asset per table, partitioned like their sources.

A run's windows load in groups of consecutive windows (`EtlResource.windows_per_transaction`), one transaction
each: the group's rows are replaced whole, so a failure leaves every window of the group as it was, and the
fixed costs of a load (transaction, deletes, COPY set-up, reader threads) are paid per group, not per window.
Orders and their line items are one multi-asset because they must change together.
"""

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import dagster as dg
from psycopg import Connection
from pymongo.database import Database

from shopease_platform.assets.metadata import throughput, time_window
from shopease_platform.assets.mongo_raw import customers, price_events, product_catalog, raw_orders, stores
from shopease_platform.checks.reconciliation import reconcile_orders, rejects_check
from shopease_platform.etl import loader
from shopease_platform.etl.tables import ensure_raw_tables
from shopease_platform.orchestration.partitions import WINDOWED
from shopease_platform.resources import MongoResource, PostgresResource
from shopease_platform.resources.etl import EtlResource
from shopease_platform.window import window_groups

GROUP = "postgres_raw"
OWNERS = ["team:data-platform"]
KINDS = {"postgres", "python"}
RETRY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
SPEC = {"group_name": GROUP, "owners": OWNERS, "kinds": KINDS}
COMMON = {**SPEC, "retry_policy": RETRY}
PARTITIONED = {**COMMON, "partitions_def": WINDOWED}


def _metadata(result: loader.LoadResult, table: str, started: float) -> dict[str, Any]:
    return {
        "dagster/row_count": result.rows[table],
        "rows_loaded": result.rows_loaded,
        "rows_rejected": result.rows_rejected,
        **throughput(result.rows_loaded, time.monotonic() - started),
    }


def _over_range(
    context: dg.AssetExecutionContext,
    mongo: MongoResource,
    postgres: PostgresResource,
    etl: EtlResource,
    load: Callable[[Database, Connection, tuple[datetime, datetime]], loader.LoadResult],
) -> loader.LoadResult:
    """Run `load` over the run's window groups, one transaction each: replacing a group replaces each window."""
    total = loader.LoadResult()
    with postgres.connect() as conn:
        ensure_raw_tables(conn)
        conn.commit()
        for group in window_groups(context.partition_time_window, etl.windows_per_transaction):
            with conn.transaction():
                total.add(load(mongo.get_database(), conn, group))
    return total


@dg.asset(key=["raw", "products"], deps=[product_catalog, price_events, raw_orders], **COMMON)
def raw_products(mongo: MongoResource, postgres: PostgresResource) -> dg.MaterializeResult:
    """Products with their current price and stock, upserted by product_id."""
    started = time.monotonic()
    with postgres.connect() as conn:
        ensure_raw_tables(conn)
        result = loader.load_products(mongo.get_database(), conn)
    return dg.MaterializeResult(metadata=_metadata(result, "products", started))


@dg.asset(key=["raw", "stores"], deps=[stores], **COMMON)
def raw_stores(mongo: MongoResource, postgres: PostgresResource) -> dg.MaterializeResult:
    """The online store and branches, upserted by store_id."""
    started = time.monotonic()
    with postgres.connect() as conn:
        ensure_raw_tables(conn)
        result = loader.load_stores(mongo.get_database(), conn)
    return dg.MaterializeResult(metadata=_metadata(result, "stores", started))


def _windowed_table_asset(
    table: str,
    deps: list[dg.AssetsDefinition],
    description: str,
    load: Callable[[Database, Connection, tuple[datetime, datetime]], loader.LoadResult],
) -> dg.AssetsDefinition:
    """A raw table loaded over the run's windows, a group of windows per transaction (`_over_range`)."""

    @dg.asset(key=["raw", table], deps=deps, description=description, **PARTITIONED)
    def windowed_table(
        context: dg.AssetExecutionContext, mongo: MongoResource, postgres: PostgresResource, etl: EtlResource
    ) -> dg.MaterializeResult:
        started = time.monotonic()
        result = _over_range(context, mongo, postgres, etl, load)
        return dg.MaterializeResult(
            metadata={**_metadata(result, table, started), **time_window(context.partition_time_window)}
        )

    return windowed_table


raw_customers = _windowed_table_asset(
    "customers",
    [customers, raw_orders],
    "Customers created in each window and those its orders reference, upserted by customer_id.",
    loader.load_customers,
)
raw_price_events = _windowed_table_asset(
    "price_events",
    [price_events],
    "Price events effective in each window; the window is replaced whole.",
    loader.load_price_events,
)


ORDERS_KEY = dg.AssetKey(["raw", "orders"])
ORDER_ITEMS_KEY = dg.AssetKey(["raw", "order_items"])
REJECTED_KEY = dg.AssetKey(["raw", "rejected_documents"])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(ORDERS_KEY, deps=[raw_orders], description="One row per order (raw.orders).", **SPEC),
        dg.AssetSpec(ORDER_ITEMS_KEY, deps=[raw_orders], description="One row per order line (raw.order_items).",
                     **SPEC),
        dg.AssetSpec(REJECTED_KEY, deps=[raw_orders], description="Quarantined documents of every raw load, with "
                     "the collection, source id, reason and original payload.", **SPEC),
    ],
    check_specs=[
        dg.AssetCheckSpec("reconciles_with_mongodb", asset=ORDERS_KEY, blocking=True,
                          description="Orders, lines and revenue equal MongoDB's for the same windows, "
                                      "quarantined documents accounted for."),
        dg.AssetCheckSpec("rejected_documents", asset=ORDERS_KEY,
                          description="Warns when any order was quarantined; fails above the configured share."),
    ],
    partitions_def=WINDOWED,
    retry_policy=RETRY,
    can_subset=False,
)  # fmt: skip
def raw_orders_and_items(
    context: dg.AssetExecutionContext, mongo: MongoResource, postgres: PostgresResource, etl: EtlResource
):
    """Orders and their lines for each window, validated, COPY-loaded and replaced atomically per window group."""
    started = time.monotonic()
    db = mongo.get_database()
    references = loader.OrderReferences.read(db)
    groups = list(window_groups(context.partition_time_window, etl.windows_per_transaction))
    total = loader.LoadResult()
    with postgres.connect() as conn:
        ensure_raw_tables(conn)
        with conn.transaction():
            total.add(loader.quarantine_unplaceable(db, conn))
        for done, group in enumerate(groups, start=1):
            with conn.transaction():
                total.add(loader.load_orders(db, conn, group, references, etl.batch_size))
            elapsed = time.monotonic() - started
            context.log.info(
                f"raw orders: {done}/{len(groups)} window groups, {total.rows_loaded:,} rows, "
                f"{total.rows_loaded / max(elapsed, 1e-9):,.0f} rows/s, "
                f"ETA {elapsed / done * (len(groups) - done):.0f}s"
            )
        window = context.partition_time_window
        reconciliation = reconcile_orders(db, conn, window.start, window.end)
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


postgres_raw_assets = [raw_products, raw_stores, raw_customers, raw_price_events, raw_orders_and_items]
