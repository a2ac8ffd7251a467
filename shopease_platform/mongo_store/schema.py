"""Collections, indexes and the `order_items` view of the raw store (database `shopease` by default).

`_id` is each collection's unique id; the extra indexes serve the ETL's window scans (`orders.ordered_at`) and
the line-level and customer queries of the reports.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.database import Database
from pymongo.errors import OperationFailure

COLLECTIONS = ("products", "stores", "customers", "price_events", "orders", "restocks")

INDEXES: dict[str, list[IndexModel]] = {
    "products": [IndexModel([("sku", ASCENDING)], unique=True), IndexModel([("category", ASCENDING)])],
    "stores": [IndexModel([("kind", ASCENDING)])],
    "customers": [IndexModel([("email", ASCENDING)], unique=True), IndexModel([("created_at", ASCENDING)])],
    "price_events": [IndexModel([("product_id", ASCENDING), ("effective_at", ASCENDING)])],
    "orders": [
        IndexModel([("ordered_at", ASCENDING)]),
        IndexModel([("customer_id", ASCENDING)]),
        IndexModel([("items.product_id", ASCENDING)]),
    ],
    "restocks": [IndexModel([("product_id", ASCENDING)]), IndexModel([("restocked_at", ASCENDING)])],
}

ORDER_ITEMS_PIPELINE: list[dict[str, Any]] = [
    {"$unwind": "$items"},
    {
        "$project": {
            "_id": {"$concat": ["$_id", "-", {"$toString": "$items.line_number"}]},
            "order_id": "$_id",
            "customer_id": 1,
            "store_id": 1,
            "ordered_at": 1,
            "line_number": "$items.line_number",
            "product_id": "$items.product_id",
            "quantity": "$items.quantity",
            "unit_price": "$items.unit_price",
            "line_revenue": {"$round": [{"$multiply": ["$items.quantity", "$items.unit_price"]}, 2]},
        }
    },
]


def ensure_schema(db: Database) -> None:
    """Create collections, indexes and the read-only `order_items` view; safe to call on every run.

    Collections are created up front because MongoDB cannot create a collection inside a transaction on
    every version, and the order writer runs in one.
    """
    existing = set(db.list_collection_names())
    for name in COLLECTIONS:
        if name not in existing:
            try:
                db.create_collection(name)
            except OperationFailure as error:
                if error.code != 48:  # NamespaceExists: created concurrently
                    raise
        db[name].create_indexes(INDEXES[name])
    if "order_items" not in existing:
        try:
            db.command("create", "order_items", viewOn="orders", pipeline=ORDER_ITEMS_PIPELINE)
        except OperationFailure as error:
            if error.code != 48:
                raise
