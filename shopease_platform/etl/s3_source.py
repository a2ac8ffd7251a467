"""Load the cloud raw store (Parquet windows in S3) into PostgreSQL: the S3 source beside the MongoDB one.

Only what a window's manifest names is read, so a window whose write never finished loads as empty, exactly as
an empty MongoDB window would. Orders stream a Parquet record batch at a time through the loader's binary COPY
path (`parquet_orders` validates them with the rules of `validation.order_rows`), one part in memory at a time.
Every part is checked against its manifest checksum; a part that is missing, altered or unreadable is
quarantined whole in `raw.rejected_documents` (source id: its key) and the window's other parts still load.
Dimensions are small and go through the loader's document path, with the same validation and quarantine.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime

import pyarrow as pa
from psycopg import Connection

from shopease_platform.etl import tables
from shopease_platform.etl.loader import (
    EncodedBatch,
    LoadResult,
    OrderReferences,
    _load_documents,
    _quarantine,
    clear_order_window,
    copy_order_batch,
)
from shopease_platform.etl.order_batch import KnownCustomers, ReferenceSets
from shopease_platform.etl.parquet_orders import flatten_parquet_orders
from shopease_platform.etl.validation import Document, customer_row, price_event_row, product_row, store_row
from shopease_platform.prefetch import Prefetch
from shopease_platform.s3_store.datasets import (
    CorruptPart,
    Dataset,
    Manifest,
    Part,
    S3Location,
    S3StoreError,
    open_part,
    read_manifest,
    windows_of,
)
from shopease_platform.window import WINDOW

Window = tuple[datetime, datetime]
BATCH_SIZE = 10_000
CORRUPT_PART = "corrupt Parquet part"


def _documents(store: S3Location, manifest: Manifest | None, role: str) -> list[Document]:
    """Every row of the manifest's `role` parts, as documents; a damaged dimension part fails the load."""
    documents: list[Document] = []
    for part in manifest.parts_of(role) if manifest else []:
        try:
            documents.extend(open_part(store, part).read().to_pylist())
        except (CorruptPart, pa.ArrowException) as error:
            raise S3StoreError(f"{CORRUPT_PART} s3://{store.bucket}/{part.key}: {error}") from error
    return documents


def _unwindowed(store: S3Location, entity: str) -> list[Document]:
    manifest = read_manifest(store, Dataset(entity))
    if manifest is None:
        raise S3StoreError(f"s3://{store.bucket}/{Dataset(entity).folder(store)} has no manifest: land {entity} first")
    return _documents(store, manifest, entity)


# --- dimensions --------------------------------------------------------------------------------------------


def load_stores(store: S3Location, conn: Connection) -> LoadResult:
    return _load_documents(conn, tables.STORES, "stores", _unwindowed(store, "stores"), store_row, None)


def load_customers(store: S3Location, conn: Connection, window: Window) -> LoadResult:
    """The window's sign-ups and every customer its orders reference (the orders window carries them)."""
    signups = _documents(store, read_manifest(store, Dataset("customers", window[0])), "customers")
    referenced = _documents(store, read_manifest(store, Dataset("orders", window[0])), "customers")
    by_id = {str(d.get("_id")): d for d in [*referenced, *signups]}
    return _load_documents(conn, tables.CUSTOMERS, "customers", list(by_id.values()), customer_row, window)


def load_price_events(store: S3Location, conn: Connection, window: Window) -> LoadResult:
    docs = _documents(store, read_manifest(store, Dataset("price_events", window[0])), "price_events")
    return _load_documents(conn, tables.PRICE_EVENTS, "price_events", docs, price_event_row, window)


def product_documents(store: S3Location) -> list[Document]:
    """The catalog with its live state, derived from every landed window as MongoDB's writes keep it:

    price is the one in force in the latest price-events window; stock is the initial stock plus every orders
    window's movement; `updated_at` is the latest of a price change and the end of a window that moved stock.
    """
    products = {d["_id"]: dict(d) for d in _unwindowed(store, "products")}
    price_windows = windows_of(store, "price_events")
    if price_windows:
        latest = read_manifest(store, Dataset("price_events", price_windows[-1]))
        for row in _documents(store, latest, "prices"):
            if row["product_id"] in products:
                products[row["product_id"]]["price"] = row["price"]
    changed: dict[str, datetime] = {}
    for start in price_windows:
        for event in _documents(store, read_manifest(store, Dataset("price_events", start)), "price_events"):
            changed[event["product_id"]] = max(changed.get(event["product_id"], start), event["effective_at"])
    delta: Counter[str] = Counter()
    for start in windows_of(store, "orders"):
        end = start + WINDOW
        for row in _documents(store, read_manifest(store, Dataset("orders", start)), "stock"):
            delta[row["product_id"]] += row["delta"]
            changed[row["product_id"]] = max(changed.get(row["product_id"], end), end)
    for product_id, product in products.items():
        product["stock"] = product["stock"] + delta[product_id]
        if product_id in changed:
            product["updated_at"] = max(product["updated_at"], changed[product_id])
    return list(products.values())


def load_products(store: S3Location, conn: Connection) -> LoadResult:
    return _load_documents(conn, tables.PRODUCTS, "products", product_documents(store), product_row, None)


# --- orders ------------------------------------------------------------------------------------------------


def order_references(store: S3Location) -> OrderReferences:
    """Products and stores of the landed catalog, read once per run."""
    products = frozenset(d["_id"] for d in _unwindowed(store, "products"))
    return OrderReferences(products, frozenset(d["_id"] for d in _unwindowed(store, "stores")))


def _part_reject(store: S3Location, part: Part, error: Exception) -> tuple[Document, str]:
    payload = {"_id": part.key, "bucket": store.bucket, "rows": part.rows, "bytes": part.bytes, "sha256": part.sha256}
    return payload, f"{CORRUPT_PART}: {error}"


def load_orders(
    store: S3Location,
    conn: Connection,
    window: Window,
    references: OrderReferences | None = None,
    batch_size: int = BATCH_SIZE,
    after_batch: Callable[[int], None] | None = None,
) -> LoadResult:
    """Replace the window's rows in raw.orders and raw.order_items with what the window's manifest names.

    Each part loads under a savepoint: a part found damaged while it streams is rolled back and quarantined
    whole, and the next part goes on. One thread reads and validates record batches while this one copies.
    """
    started = time.monotonic()
    refs = references or order_references(store)
    manifest = read_manifest(store, Dataset("orders", window[0]))
    clear_order_window(conn, window)
    result = LoadResult()
    rejects: list[tuple[Document, str]] = []
    known = {str(d["_id"]) for d in _documents(store, manifest, "customers")}
    customers = KnownCustomers(lambda ids: [i for i in ids if i in known])
    sets = ReferenceSets(refs.products, refs.stores)
    number = 0
    for part in manifest.parts_of("orders") if manifest else []:

        def produce(stopped: Callable[[], bool], part: Part = part) -> Iterator[EncodedBatch]:
            parquet = open_part(store, part)
            for batch in parquet.iter_batches(batch_size=batch_size):
                if stopped():
                    return
                yield EncodedBatch.of(flatten_parquet_orders(batch, window, sets, customers))

        counted = Counter[str]()
        part_rejects: list[tuple[Document, str]] = []
        try:
            with conn.transaction(), Prefetch(produce, name="s3-order-reader") as batches:
                for batch in batches:
                    copy_order_batch(conn, batch)
                    counted["orders"] += batch.order_count
                    counted["order_items"] += batch.line_count
                    part_rejects.extend(batch.rejects)
                    number += 1
                    if after_batch is not None:
                        after_batch(number)
        except (CorruptPart, pa.ArrowException, OSError) as error:
            rejects.append(_part_reject(store, part, error))
            continue
        result.rows.update(counted)
        rejects.extend(part_rejects)
    _quarantine(conn, "orders", rejects, window, "ordered_at")
    result.rejected["orders"] = len(rejects)
    result.seconds = time.monotonic() - started
    return result
