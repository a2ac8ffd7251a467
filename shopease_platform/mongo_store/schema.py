"""Collections, indexes and validators of the raw store (database `shopease` by default).

`_id` is each collection's unique id; the extra indexes serve the ETL's window scans (`orders.ordered_at`) and
the `$lookup`s of the reports: `order_items {product_id, quantity, unit_price}` from `products`, `orders
{customer_id, order_total}` from `customers`. They hold every field the lookups' inner pipelines read, so those
are covered scans (no document fetched), and they replace the single-field `product_id` / `customer_id`
indexes, which their first field serves: the writer maintains as many indexes as before.
`order_items` holds each order's lines as documents of their own (`order_items.py`); databases from before,
where it was a view over `orders`, are migrated on the first call.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.database import Database
from pymongo.errors import OperationFailure

from shopease_platform.mongo_store.contracts import ensure_validators, validator_options

COLLECTIONS = ("products", "stores", "customers", "price_events", "orders", "order_items", "restocks")

INDEXES: dict[str, list[IndexModel]] = {
    "products": [IndexModel([("sku", ASCENDING)], unique=True), IndexModel([("category", ASCENDING)])],
    "stores": [IndexModel([("kind", ASCENDING)])],
    "customers": [IndexModel([("email", ASCENDING)], unique=True), IndexModel([("created_at", ASCENDING)])],
    "price_events": [IndexModel([("product_id", ASCENDING), ("effective_at", ASCENDING)])],
    "orders": [
        IndexModel([("ordered_at", ASCENDING)]),
        IndexModel([("customer_id", ASCENDING), ("order_total", ASCENDING)]),
        IndexModel([("items.product_id", ASCENDING)]),
    ],
    "order_items": [
        IndexModel([("product_id", ASCENDING), ("quantity", ASCENDING), ("unit_price", ASCENDING)]),
        IndexModel([("order_id", ASCENDING)]),
        IndexModel([("ordered_at", ASCENDING)]),
    ],
    "restocks": [IndexModel([("product_id", ASCENDING)]), IndexModel([("restocked_at", ASCENDING)])],
}

SUPERSEDED_INDEXES = {"orders": ("customer_id_1",), "order_items": ("product_id_1",)}
"""Indexes of earlier databases that a compound index above now serves; dropped so writes do not keep paying."""

LINES_OF_ORDERS: list[dict[str, Any]] = [
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
        }
    },
]
"""`order_items` documents derived from `orders` on the server (the migration from the view uses it)."""


def ensure_schema(db: Database) -> None:
    """Create collections (with their validators), indexes, and put the contracts in force; safe on every run.

    Collections are created up front because MongoDB cannot create a collection inside a transaction on
    every version, and the order writer runs in one.
    """
    existing = {info["name"]: info["type"] for info in db.list_collections()}
    if existing.get("order_items") == "view":
        db.drop_collection("order_items")
        _create(db, "order_items")
        existing["order_items"] = "collection"
        db.order_items.create_indexes(INDEXES["order_items"])
        merge = {"$merge": {"into": "order_items", "whenMatched": "keepExisting"}}
        db.orders.aggregate([*LINES_OF_ORDERS, merge], bypassDocumentValidation=True)  # the ETL judges old orders
    for name in COLLECTIONS:
        if name not in existing:
            _create(db, name)
        db[name].create_indexes(INDEXES[name])
        for index in set(SUPERSEDED_INDEXES.get(name, ())) & set(db[name].index_information()):
            db[name].drop_index(index)
    ensure_validators(db)


def _create(db: Database, name: str) -> None:
    try:
        db.create_collection(name, **validator_options(name))
    except OperationFailure as error:
        if error.code != 48:  # NamespaceExists: created concurrently
            raise
