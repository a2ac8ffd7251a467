"""The simulated business lands in MongoDB: catalog and stores once, customers, price events and orders per window.

Every asset writes idempotently (upserts by deterministic `_id`, transactional order writes), so any window can be
re-materialized at any time without duplicating or losing a document. Partitioned assets accept a range of
windows in one run (`BackfillPolicy.single_run`), so 30 days of history is one run, not 240.
"""

import time
from collections.abc import Iterator

import dagster as dg

from shopease_platform.assets.metadata import preview, throughput, time_window
from shopease_platform.mongo_store.order_windows import LandedOrders, land_order_windows
from shopease_platform.mongo_store.schema import ensure_schema
from shopease_platform.mongo_store.writer import (
    apply_price_events,
    insert_missing,
    sync_catalog_prices,
    upsert_documents,
)
from shopease_platform.orchestration.partitions import WINDOWED
from shopease_platform.resources import MongoResource
from shopease_platform.resources.simulation import SimulationResource
from shopease_platform.simulation import (
    build_catalog,
    build_stores,
    customers_for_window,
    price_at,
    price_events_for_window,
)
from shopease_platform.window import window_starts

GROUP = "mongo_raw"
OWNERS = ["team:data-platform"]
KINDS = {"mongodb", "python"}
RETRY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
PARTITIONED = {
    "partitions_def": WINDOWED,
    "group_name": GROUP,
    "owners": OWNERS,
    "kinds": KINDS,
    "retry_policy": RETRY,
}


@dg.asset(key=["mongo", "product_catalog"], group_name=GROUP, owners=OWNERS, kinds=KINDS, retry_policy=RETRY)
def product_catalog(mongo: MongoResource, simulation: SimulationResource) -> dg.MaterializeResult:
    """The fixed product catalog (`products` collection): categories, brands, base prices, initial stock.

    Existing products keep their live state (current price, stock): only missing products are inserted.
    """
    db = mongo.get_database()
    ensure_schema(db)
    config = simulation.config()
    documents = build_catalog(config).documents()
    for document in documents:
        document["price_effective_at"] = config.start
    inserted = insert_missing(db, "products", documents)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": db.products.count_documents({}),
            "products_inserted": inserted,
            "categories": len({d["category"] for d in documents}),
            "preview": preview(documents, ["_id", "name", "category", "brand", "base_price", "initial_stock"]),
        }
    )


@dg.asset(key=["mongo", "stores"], group_name=GROUP, owners=OWNERS, kinds=KINDS, retry_policy=RETRY)
def stores(mongo: MongoResource, simulation: SimulationResource) -> dg.MaterializeResult:
    """The online store and the physical branches (`stores` collection)."""
    db = mongo.get_database()
    ensure_schema(db)
    documents = build_stores(simulation.config())
    upsert_documents(db, "stores", documents)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(documents),
            "branches": sum(d["kind"] == "branch" for d in documents),
            "preview": preview(documents, ["_id", "name", "kind", "state", "city"], limit=20),
        }
    )


@dg.asset(key=["mongo", "customers"], **PARTITIONED)
def customers(
    context: dg.AssetExecutionContext, mongo: MongoResource, simulation: SimulationResource
) -> dg.MaterializeResult:
    """Customers who signed up in each window (`customers` collection, address embedded).

    Documents stream to MongoDB in the writer's batches, so a year's range holds one batch in memory at a time.
    """
    db = mongo.get_database()
    ensure_schema(db)
    config = simulation.config()
    sample: list[dict] = []
    written = 0

    def documents() -> Iterator[dict]:
        nonlocal written
        for start in window_starts(context.partition_time_window):
            signups = customers_for_window(config, start)
            written += len(signups)
            if len(sample) < 20:
                sample.extend(signups[: 20 - len(sample)])
            yield from signups

    upsert_documents(db, "customers", documents())
    return dg.MaterializeResult(
        metadata={
            "documents_written": written,
            **time_window(context.partition_time_window),
            "preview": preview(sample, ["_id", "first_name", "last_name", "created_at"]),
        }
    )


@dg.asset(key=["mongo", "price_events"], deps=[product_catalog], **PARTITIONED)
def price_events(
    context: dg.AssetExecutionContext, mongo: MongoResource, simulation: SimulationResource
) -> dg.MaterializeResult:
    """Promotions and permanent price increases effective in each window; products' current price follows them.

    The catalog's prices are first brought to the prices in force when the range starts, so a history that
    begins after SHOPEASE_START_DATE charges and shows the same prices.
    """
    db = mongo.get_database()
    ensure_schema(db)
    config = simulation.config()
    windows = list(window_starts(context.partition_time_window))
    catalog = build_catalog(config)
    in_force = price_at(config, windows[0]).tolist()
    synced = sync_catalog_prices(db, dict(zip(catalog.product_ids, in_force, strict=True)), windows[0])
    events: list[dict] = []
    for window_start in windows:
        events.extend(price_events_for_window(config, window_start))
    apply_price_events(db, events)
    return dg.MaterializeResult(
        metadata={
            "documents_written": len(events),
            "catalog_prices_brought_forward": synced,
            **time_window(context.partition_time_window),
            "preview": preview(events, ["product_id", "effective_at", "kind", "old_price", "new_price"]),
        }
    )


@dg.asset(key=["mongo", "raw_orders"], deps=[product_catalog, stores, customers, price_events], **PARTITIONED)
def raw_orders(
    context: dg.AssetExecutionContext, mongo: MongoResource, simulation: SimulationResource
) -> dg.MaterializeResult:
    """Orders with embedded line items, and the stock they move, committed in transactions of whole windows.

    The next windows are simulated while the current transaction is on the server; windows share a
    transaction up to `MongoResource.orders_per_transaction` orders (SHOPEASE_MONGODB_ORDERS_PER_TRANSACTION).
    """
    db = mongo.get_database()
    ensure_schema(db)
    windows = list(window_starts(context.partition_time_window))
    started = time.monotonic()
    logged = 0

    def log_progress(landed: LandedOrders, total: int) -> None:
        nonlocal logged
        if landed.windows - logged >= 40 or landed.windows == total:
            logged = landed.windows
            eta = (time.monotonic() - started) / landed.windows * (total - landed.windows)
            context.log.info(
                f"orders: {landed.windows}/{total} windows, {landed.orders_inserted:,} new orders, ETA {eta:.0f}s"
            )

    landed = land_order_windows(
        mongo.get_client(), db, simulation.config(), windows, mongo.orders_per_transaction, log_progress
    )
    elapsed = time.monotonic() - started
    return dg.MaterializeResult(
        metadata={
            "orders_inserted": landed.orders_inserted,
            "orders_already_present": landed.orders_already_present,
            "order_lines": landed.order_lines,
            "revenue": dg.MetadataValue.float(round(landed.revenue, 2)),
            "windows": landed.windows,
            "transactions": landed.transactions,
            **time_window(context.partition_time_window),
            **throughput(landed.orders_inserted + landed.orders_already_present, elapsed),
            "preview": preview(landed.sample, ["_id", "customer_id", "store_id", "ordered_at", "items", "order_total"]),
        }
    )


mongo_raw_assets = [product_catalog, stores, customers, price_events, raw_orders]
