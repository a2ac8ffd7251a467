"""Idempotent writes of simulated documents into the raw store.

Dimensions (products, stores, customers, price events) are upserted by `_id`: writing the same document twice
changes nothing. A window's orders, restocks and the stock movements they cause commit together in one
multi-document transaction, and only documents not already present move stock, so re-running a window never
decrements stock twice and an aborted transaction leaves neither orders nor stock changed.

Stock reconciles by construction: `stock = initial_stock + sum(restocks) - sum(ordered quantity)`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import MongoClient, ReplaceOne, UpdateOne
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

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


def write_window(
    client: MongoClient,
    db: Database,
    orders: Sequence[Document],
    restocks: Sequence[Document],
    window_end: datetime,
    fail_after_orders: Callable[[], None] | None = None,
) -> WindowWrite:
    """Insert a window's new orders and restocks and move stock, all in one transaction.

    `fail_after_orders` is a hook called inside the transaction after the orders are written; tests use it to
    prove that an abort leaves nothing behind.
    """

    def transaction(session: ClientSession) -> WindowWrite:
        order_ids = [order["_id"] for order in orders]
        present = {d["_id"] for d in db.orders.find({"_id": {"$in": order_ids}}, {"_id": 1}, session=session)}
        new_orders = [order for order in orders if order["_id"] not in present]
        for start in range(0, len(new_orders), _BATCH):
            db.orders.insert_many(new_orders[start : start + _BATCH], ordered=False, session=session)
        if fail_after_orders is not None:
            fail_after_orders()

        restock_ids = [restock["_id"] for restock in restocks]
        present_restocks = {
            d["_id"] for d in db.restocks.find({"_id": {"$in": restock_ids}}, {"_id": 1}, session=session)
        }
        new_restocks = [restock for restock in restocks if restock["_id"] not in present_restocks]
        if new_restocks:
            db.restocks.insert_many(new_restocks, ordered=False, session=session)

        movement: Counter[str] = Counter()
        ordered_units = restocked_units = 0
        for order in new_orders:
            for item in order["items"]:
                movement[item["product_id"]] -= item["quantity"]
                ordered_units += item["quantity"]
        for restock in new_restocks:
            movement[restock["product_id"]] += restock["quantity"]
            restocked_units += restock["quantity"]
        moved = sorted((pid, delta) for pid, delta in movement.items() if delta != 0)
        if moved:
            _move_stock(db, session, [pid for pid, _ in moved], [delta for _, delta in moved], window_end)
        return WindowWrite(len(new_orders), len(present), len(new_restocks), ordered_units, restocked_units)

    with client.start_session() as session:
        return session.with_transaction(
            transaction, read_concern=ReadConcern("snapshot"), write_concern=WriteConcern("majority")
        )


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
