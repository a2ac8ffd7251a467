"""Land a range of simulated order windows in MongoDB: simulate ahead in a thread, write in grouped transactions.

A producer thread simulates the next windows and encodes their orders as BSON straight from the simulation's
columns (`order_bson`), counts the units they sell and inserts any missing customers, while the current
window's orders are on the server. Consecutive windows share a transaction until it holds
`orders_per_transaction` orders, so stock is moved once per product per group and commits are few. Each window
is still all-or-nothing: it commits with its group.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import bson
import numpy as np
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient
from pymongo.database import Database

from shopease_platform.mongo_store.order_bson import encode_order_items, encode_orders
from shopease_platform.mongo_store.writer import Document, WindowDocuments, insert_missing, write_windows
from shopease_platform.prefetch import Prefetch
from shopease_platform.simulation import (
    SimulationConfig,
    build_catalog,
    customer_documents,
    order_columns_for_window,
    orders_for_window,
    restocks_for_window,
)
from shopease_platform.simulation.stores import store_ids
from shopease_platform.window import WINDOW


@dataclass
class LandedOrders:
    """What a range of windows did to the `orders` collection (asset metadata)."""

    windows: int = 0
    orders_inserted: int = 0
    orders_already_present: int = 0
    order_lines: int = 0
    revenue: float = 0.0
    transactions: int = 0
    sample: list[Document] = field(default_factory=list)


@dataclass(frozen=True)
class SimulatedWindow:
    """A window ready to write, with the figures the asset reports."""

    documents: WindowDocuments
    customer_ids: list[str]
    order_lines: int
    revenue: float


ProgressCallback = Callable[[LandedOrders, int], None]
_PREVIEW = CodecOptions(tz_aware=True)
_CUSTOMER_BATCH = 2_000
"""Orders whose missing customers are looked up and inserted together (one round trip each, not per window)."""
_AHEAD = 64
"""Windows simulated ahead of the writer: it takes them in batches of thousands of orders (dozens of windows)."""


def land_order_windows(
    client: MongoClient,
    db: Database,
    config: SimulationConfig,
    window_starts: Sequence[datetime],
    orders_per_transaction: int,
    on_progress: ProgressCallback | None = None,
) -> LandedOrders:
    """Simulate and write every window in `window_starts`; `on_progress(landed, total_windows)` after each commit.

    Returning customers may come from windows never materialized here (a history that starts mid-way), so their
    documents, which the simulation regenerates exactly from their ids, are inserted when missing.
    """
    landed = LandedOrders()
    known_customers: set[str] = set()

    def produce(should_stop: Callable[[], bool]) -> Iterator[SimulatedWindow]:
        batch: list[SimulatedWindow] = []
        for number, start in enumerate(window_starts, start=1):
            if should_stop():
                return
            batch.append(simulate_window(config, start))
            if sum(len(w.documents.order_ids) for w in batch) >= _CUSTOMER_BATCH or number == len(window_starts):
                customer_ids = [customer for window in batch for customer in window.customer_ids]
                _insert_missing_customers(db, config, customer_ids, known_customers)
                yield from batch
                batch = []

    def counted(windows: Iterator[SimulatedWindow]) -> Iterator[WindowDocuments]:
        for window in windows:
            landed.windows += 1
            landed.order_lines += window.order_lines
            landed.revenue += window.revenue
            if not landed.sample:
                landed.sample = [_as_dict(order) for order in window.documents.orders[:20]]
            yield window.documents

    with Prefetch(produce, depth=_AHEAD, name="order-simulation") as windows:
        for group in transaction_groups(counted(windows), orders_per_transaction):
            written = write_windows(client, db, group)
            landed.transactions += 1
            landed.orders_inserted += written.orders_inserted
            landed.orders_already_present += written.orders_already_present
            if on_progress is not None:
                on_progress(landed, len(window_starts))
    return landed


def simulate_window(config: SimulationConfig, window_start: datetime) -> SimulatedWindow:
    """The window's orders and their `order_items` lines as BSON encoded from columns (dicts only when the fast
    layout does not apply)."""
    columns = order_columns_for_window(config, window_start)
    product_ids = build_catalog(config).product_ids
    totals = columns.order_totals()
    restocks = restocks_for_window(config, window_start)
    encoded = encode_orders(columns, store_ids(config), product_ids, totals)
    lines = encode_order_items(columns, store_ids(config), product_ids) if encoded is not None else None
    if encoded is None or lines is None:
        documents = WindowDocuments.from_orders(
            orders_for_window(config, window_start), restocks, window_start + WINDOW
        )
    else:
        sold = np.bincount(columns.product, weights=columns.quantity, minlength=len(product_ids))
        units = Counter({product_ids[p]: int(sold[p]) for p in np.flatnonzero(sold).tolist()})
        orders = [RawBSONDocument(document) for document in encoded]
        items = [RawBSONDocument(document) for document in lines]
        documents = WindowDocuments(columns.order_ids(), orders, restocks, window_start + WINDOW, units, items)
    return SimulatedWindow(documents, columns.distinct_customer_ids(), len(columns.product), float(np.sum(totals)))


def transaction_groups(
    windows: Iterator[WindowDocuments], orders_per_transaction: int
) -> Iterator[Iterator[WindowDocuments]]:
    """Split a stream of windows into lazy groups; a group closes once it holds `orders_per_transaction` orders.

    Each group must be consumed before the next is requested (the transaction writer does so).
    """
    stream = iter(windows)
    for first in stream:
        yield _until_full(first, stream, orders_per_transaction)


def _until_full(first: WindowDocuments, rest: Iterator[WindowDocuments], limit: int) -> Iterator[WindowDocuments]:
    yield first
    orders = len(first.orders)
    while orders < limit:
        window = next(rest, None)
        if window is None:
            return
        yield window
        orders += len(window.orders)


def _as_dict(order: Document | RawBSONDocument) -> Document:
    return bson.decode(order.raw, _PREVIEW) if isinstance(order, RawBSONDocument) else order


def _insert_missing_customers(db: Database, config: SimulationConfig, customer_ids: list[str], known: set[str]) -> None:
    """Insert the documents of the customers MongoDB lacks; `known` remembers ids already seen.

    Returning customers come back window after window, so remembering them saves most of the lookups.
    """
    unseen = sorted(set(customer_ids) - known)
    if not unseen:
        return
    stored = {d["_id"] for d in db.customers.find({"_id": {"$in": unseen}}, {"_id": 1})}
    insert_missing(db, "customers", customer_documents(config, [c for c in unseen if c not in stored]))
    known.update(unseen)
