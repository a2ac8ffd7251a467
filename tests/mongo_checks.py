"""Assertions on the raw store shared by integration and end-to-end tests."""

from __future__ import annotations

from pymongo.database import Database


def _units_by_product(db: Database, collection: str) -> dict[str, int]:
    pipeline = [{"$group": {"_id": "$product_id", "units": {"$sum": "$quantity"}}}]
    return {d["_id"]: d["units"] for d in db[collection].aggregate(pipeline)}


def assert_stock_reconciles(db: Database) -> None:
    """stock = initial_stock + restocked - ordered, for every product."""
    ordered, restocked = _units_by_product(db, "order_items"), _units_by_product(db, "restocks")
    for product in db.products.find():
        pid = product["_id"]
        assert product["stock"] == product["initial_stock"] + restocked.get(pid, 0) - ordered.get(pid, 0), pid


def collection_checksum(db: Database, collection: str) -> tuple[int, str]:
    """Document count and MongoDB's own md5 of the collection's contents (`dbHash`)."""
    hashed = db.command("dbHash", collections=[collection])
    return db[collection].count_documents({}), hashed["collections"].get(collection, "")
