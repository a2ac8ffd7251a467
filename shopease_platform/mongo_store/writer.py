"""Idempotent writes of simulated documents into the raw store.

Dimensions (products, stores, customers, price events) are upserted by `_id`: writing the same document twice
changes nothing. A window's orders, restocks and the stock movements they cause commit together in one
multi-document transaction, and only documents not already present move stock, so re-running a window never
decrements stock twice and an aborted transaction leaves neither orders nor stock changed. Each new order's
lines go to `order_items` in the same transaction, so the two collections never disagree; a document the
collection's validator refuses aborts the transaction with `DocumentRefused`.

Stock reconciles by construction: `stock = initial_stock + sum(restocks) - sum(ordered quantity)`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient, ReplaceOne, UpdateOne
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from shopease_platform.mongo_store.contracts import refusals_explained
from shopease_platform.mongo_store.order_items import line_documents

Document = dict[str, Any]
_BATCH = 5_000


def upsert_documents(db: Database, collection: str, documents: Iterable[Document]) -> int:
    """Replace-or-insert by `_id`, in batches; returns how many documents were new."""
    inserted = 0
    batch: list[ReplaceOne] = []
    for document in documents:
        batch.append(ReplaceOne({"_id": document["_id"]}, document, upsert=True))
        if len(batch) == _BATCH:
            inserted += db[collection].bulk_write(batch, ordered=False).upserted_count
            batch = []
    if batch:
        inserted += db[collection].bulk_write(batch, ordered=False).upserted_count
    return inserted


def insert_missing(db: Database, collection: str, documents: Sequence[Document]) -> int:
    """Insert documents whose `_id` is absent, leaving existing ones untouched (they may carry live state)."""
    if not documents:
        return 0
    operations = [UpdateOne({"_id": d["_id"]}, {"$setOnInsert": d}, upsert=True) for d in documents]
    return db[collection].bulk_write(operations, ordered=False).upserted_count


def apply_price_events(db: Database, events: Sequence[Document]) -> int:
    """Record price events and move each product's current price forward to the latest one.

    The `price_effective_at` guard makes the update monotonic, so windows loaded out of order never put an
    older price back.
    """
    if not events:
        return 0
    inserted = upsert_documents(db, "price_events", events)
    latest: dict[str, Document] = {}
    for event in events:
        current = latest.get(event["product_id"])
        if current is None or event["effective_at"] > current["effective_at"]:
            latest[event["product_id"]] = event
    db["products"].bulk_write(
        [
            UpdateOne(
                {"_id": product_id, "price_effective_at": {"$lt": event["effective_at"]}},
                {
                    "$set": {"price": event["new_price"], "price_effective_at": event["effective_at"]},
                    "$max": {"updated_at": event["effective_at"]},
                },
            )
            for product_id, event in latest.items()
        ],
        ordered=False,
    )
    return inserted


@dataclass(frozen=True)
class WindowWrite:
    orders_inserted: int
    orders_already_present: int
    restocks_inserted: int
    units_ordered: int
    units_restocked: int


def sync_catalog_prices(db: Database, prices: dict[str, float], as_of: datetime) -> int:
    """Bring each product's current price to its price in force at ``as_of``, unless a later one is already set.

    Price events are only written for the windows that are materialized; a history that starts after
    SHOPEASE_START_DATE would otherwise keep base prices for products whose price changed before it.
    """
    if not prices:
        return 0
    result = db["products"].bulk_write(
        [
            UpdateOne(
                {"_id": product_id, "price_effective_at": {"$lt": as_of}},
                {"$set": {"price": price, "price_effective_at": as_of}, "$max": {"updated_at": as_of}},
            )
            for product_id, price in prices.items()
        ],
        ordered=False,
    )
    return result.modified_count


@dataclass(frozen=True)
class WindowDocuments:
    """One window's orders (dicts, or BSON already encoded), restocks, and the window's end.

    `order_ids` lists the orders' ids in order, so the writer never decodes a BSON order to find one.
    `units_ordered`, when given, is what the orders sell per product (a producer thread can count it while the
    writer waits on the server); otherwise the writer counts it. `order_items`, when given, is the orders' lines
    as `order_items` documents (BSON encoded alongside the orders); otherwise the writer derives them.
    """

    order_ids: Sequence[str]
    orders: Sequence[Document | RawBSONDocument]
    restocks: Sequence[Document]
    window_end: datetime
    units_ordered: Counter[str] | None = None
    order_items: Sequence[Document | RawBSONDocument] | None = None

    @classmethod
    def from_orders(
        cls, orders: Sequence[Document], restocks: Sequence[Document], window_end: datetime
    ) -> WindowDocuments:
        return cls([order["_id"] for order in orders], orders, restocks, window_end)


class WindowSourceError(RuntimeError):
    """The stream of windows given to `write_windows` failed; the transaction is aborted, nothing is written."""


@dataclass
class _Moves:
    """Stock movement accumulated over a transaction, and what was new."""

    by_product: Counter[str] = field(default_factory=Counter)
    orders_inserted: int = 0
    orders_present: int = 0
    units_ordered: int = 0
    latest: datetime | None = None


def write_window(
    client: MongoClient,
    db: Database,
    orders: Sequence[Document],
    restocks: Sequence[Document],
    window_end: datetime,
    fail_after_orders: Callable[[], None] | None = None,
) -> WindowWrite:
    """Insert one window's new orders and restocks and move stock, all in one transaction."""
    return write_windows(client, db, [WindowDocuments.from_orders(orders, restocks, window_end)], fail_after_orders)


def write_windows(
    client: MongoClient,
    db: Database,
    windows: Iterable[WindowDocuments],
    fail_after_orders: Callable[[], None] | None = None,
) -> WindowWrite:
    """Insert several windows' new orders and restocks and move stock, all in one transaction.

    Every window's orders commit together with the stock they move; grouping windows means each product's
    stock is updated once per group instead of once per window, most of a small transaction's cost.
    `windows` may be a lazy iterator: windows are inserted in batches of about `_BATCH` orders as they arrive,
    so a producer can simulate the next windows while a batch is on the server (a retried transaction replays
    the windows it already took).
    `fail_after_orders` is called inside the transaction after the orders are written; tests use it to prove
    that an abort leaves nothing behind.
    """
    pending = iter(windows)
    taken: list[WindowDocuments] = []

    def arriving() -> Iterator[WindowDocuments]:
        yield from taken
        while True:
            try:
                window = next(pending)
            except StopIteration:
                return
            except Exception as error:
                # Raised as a non-driver error so a retry can never commit the group without the rest.
                raise WindowSourceError(f"the next window to write could not be produced: {error}") from error
            taken.append(window)
            yield window

    def transaction(session: ClientSession) -> WindowWrite:
        moves = _Moves()
        restocks: list[Document] = []
        batch: list[WindowDocuments] = []
        batched = 0
        for window in arriving():
            batch.append(window)
            batched += len(window.order_ids)
            restocks.extend(window.restocks)
            if batched >= _BATCH:
                _insert_new_orders(db, session, batch, moves)
                batch, batched = [], 0
        _insert_new_orders(db, session, batch, moves)
        if fail_after_orders is not None:
            fail_after_orders()
        restock_ids = [restock["_id"] for restock in restocks]
        present_restocks = {
            d["_id"] for d in db.restocks.find({"_id": {"$in": restock_ids}}, {"_id": 1}, session=session)
        }
        new_restocks = [restock for restock in restocks if restock["_id"] not in present_restocks]
        if new_restocks:
            db.restocks.insert_many(new_restocks, ordered=False, session=session)
        for restock in new_restocks:
            moves.by_product[restock["product_id"]] += restock["quantity"]
        moved = sorted((pid, delta) for pid, delta in moves.by_product.items() if delta != 0)
        if moved and moves.latest is not None:
            _move_stock(db, session, [pid for pid, _ in moved], [delta for _, delta in moved], moves.latest)
        restocked = sum(restock["quantity"] for restock in new_restocks)
        return WindowWrite(
            moves.orders_inserted, moves.orders_present, len(new_restocks), moves.units_ordered, restocked
        )

    with client.start_session() as session:
        return session.with_transaction(
            transaction, read_concern=ReadConcern("snapshot"), write_concern=WriteConcern("majority")
        )


def _insert_new_orders(db: Database, session: ClientSession, windows: Sequence[WindowDocuments], moves: _Moves) -> None:
    """Insert the orders of consecutive windows that are not stored yet, and add the units they sell to `moves`.

    Windows are written a batch at a time, not one by one: a 3-hour window holds about 150 orders, and each
    statement in a transaction has a fixed cost on the server (about 20 ms on a loaded 2-core machine) that
    dwarfs inserting 150 documents. Presence is read with one `_id` range scan over the batch's ids (ids sort
    by window, and a window commits whole, so for new windows it finds nothing at once), then intersected with
    the ids, so stray ids inside the range do no harm.
    """
    for window in windows:
        moves.latest = window.window_end if moves.latest is None else max(moves.latest, window.window_end)
    ids = [oid for window in windows for oid in window.order_ids]
    if not ids:
        return
    orders = [order for window in windows for order in window.orders]
    in_range = {"$gte": min(ids), "$lte": max(ids)}
    present = {d["_id"] for d in db.orders.find({"_id": in_range}, {"_id": 1}, session=session)} & set(ids)
    if present:
        inserts = [order for oid, order in zip(ids, orders, strict=True) if oid not in present]
        units, lines = _units_ordered(inserts), None
    else:
        inserts, units, lines = orders, _counted_units(windows), _encoded_lines(windows)
    for start in range(0, len(inserts), _BATCH):
        with refusals_explained("orders"):
            db.orders.insert_many(inserts[start : start + _BATCH], ordered=False, session=session)
    _insert_order_items(db, session, inserts, lines)
    moves.by_product.subtract(units)
    moves.orders_inserted += len(inserts)
    moves.orders_present += len(present)
    moves.units_ordered += sum(units.values())


def _counted_units(windows: Sequence[WindowDocuments]) -> Counter[str]:
    """The units the windows sell per product: their own counts where given, else counted from their orders."""
    units: Counter[str] = Counter()
    for window in windows:
        units.update(window.units_ordered if window.units_ordered is not None else _units_ordered(window.orders))
    return units


def _encoded_lines(windows: Sequence[WindowDocuments]) -> list[Document | RawBSONDocument] | None:
    """The windows' `order_items` documents when every window brings them encoded, else None (derive them)."""
    if any(window.order_items is None for window in windows):
        return None
    return [line for window in windows for line in window.order_items or ()]


def _insert_order_items(
    db: Database,
    session: ClientSession,
    orders: Sequence[Document | RawBSONDocument],
    encoded: Sequence[Document | RawBSONDocument] | None,
) -> None:
    """Insert the lines of the orders just inserted into `order_items`: `encoded` when given, else derived."""
    lines = encoded if encoded is not None else line_documents(orders)
    for start in range(0, len(lines), _BATCH):
        with refusals_explained("order_items"):
            db.order_items.insert_many(lines[start : start + _BATCH], ordered=False, session=session)


def _units_ordered(orders: Iterable[Document | RawBSONDocument]) -> Counter[str]:
    units: Counter[str] = Counter()
    for order in orders:
        for item in order["items"]:
            units[item["product_id"]] += item["quantity"]
    return units


def _move_stock(db: Database, session: ClientSession, ids: list[str], deltas: list[int], moved_at: datetime) -> None:
    """Add each product's delta to its stock in ONE server-side update (a per-product update costs a round trip).

    The pipeline looks the product's delta up by position: `deltas[indexOf(ids, _id)]`.
    """
    delta = {"$arrayElemAt": [{"$literal": deltas}, {"$indexOfArray": [{"$literal": ids}, "$_id"]}]}
    db.products.update_many(
        {"_id": {"$in": ids}},
        [{"$set": {"stock": {"$add": ["$stock", delta]}, "updated_at": {"$max": ["$updated_at", moved_at]}}}],
        session=session,
    )
