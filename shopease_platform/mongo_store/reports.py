"""Five business questions answered in MongoDB's own aggregation language (`shopease mongo-report`).

They read the raw store directly, so they double as an independent check of the SQL marts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo.database import Database


@dataclass(frozen=True)
class Report:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def revenue_by_category(db: Database) -> Report:
    pipeline = [
        {"$unwind": "$items"},
        {"$group": {"_id": "$items.product_id",
                    "revenue": {"$sum": {"$multiply": ["$items.quantity", "$items.unit_price"]}}}},
        {"$lookup": {"from": "products", "localField": "_id", "foreignField": "_id", "as": "product"}},
        {"$group": {"_id": {"$first": "$product.category"}, "revenue": {"$sum": "$revenue"}}},
        {"$sort": {"revenue": -1, "_id": 1}},
    ]  # fmt: skip
    rows = [(d["_id"], round(d["revenue"], 2)) for d in db.orders.aggregate(pipeline)]
    return Report("Revenue by category", ("category", "revenue"), rows)


def top_customers_by_spending(db: Database, limit: int = 10) -> Report:
    pipeline = [
        {"$group": {"_id": "$customer_id", "spent": {"$sum": "$order_total"}, "orders": {"$sum": 1}}},
        {"$sort": {"spent": -1, "_id": 1}},
        {"$limit": limit},
        {"$lookup": {"from": "customers", "localField": "_id", "foreignField": "_id", "as": "customer"}},
        {"$project": {"spent": 1, "orders": 1, "customer": {"$first": "$customer"}}},
    ]
    rows = [
        (
            d["_id"],
            f"{d['customer']['first_name']} {d['customer']['last_name']}" if d.get("customer") else "?",
            d["orders"],
            round(d["spent"], 2),
        )
        for d in db.orders.aggregate(pipeline)
    ]
    return Report("Top customers by spending", ("customer_id", "name", "orders", "spent"), rows)


def inactive_customers(db: Database, limit: int = 10) -> Report:
    """Customers with no order at all (the lookup uses the `orders.customer_id` index)."""
    pipeline = [
        {"$lookup": {"from": "orders", "localField": "_id", "foreignField": "customer_id", "as": "orders",
                     "pipeline": [{"$limit": 1}, {"$project": {"_id": 1}}]}},
        {"$match": {"orders": {"$size": 0}}},
        {"$sort": {"created_at": 1, "_id": 1}},
        {"$facet": {"total": [{"$count": "n"}], "sample": [{"$limit": limit}]}},
    ]  # fmt: skip
    result = next(db.customers.aggregate(pipeline))
    total = result["total"][0]["n"] if result["total"] else 0
    rows = [(d["_id"], f"{d['first_name']} {d['last_name']}", d["created_at"].date()) for d in result["sample"]]
    return Report(f"Inactive customers (no orders): {total}", ("customer_id", "name", "joined"), rows)


def top_selling_product(db: Database) -> Report:
    pipeline = [
        {"$unwind": "$items"},
        {"$group": {"_id": "$items.product_id", "units": {"$sum": "$items.quantity"}, "orders": {"$sum": 1}}},
        {"$sort": {"units": -1, "_id": 1}},
        {"$limit": 1},
        {"$lookup": {"from": "products", "localField": "_id", "foreignField": "_id", "as": "product"}},
        {"$project": {"units": 1, "orders": 1, "product": {"$first": "$product"}}},
    ]
    rows = [
        (d["_id"], d["product"]["name"], d["product"]["category"], d["units"], d["orders"])
        for d in db.orders.aggregate(pipeline)
    ]
    return Report("Top-selling product", ("product_id", "name", "category", "units", "order_lines"), rows)


def out_of_stock_products(db: Database, limit: int = 10) -> Report:
    query = {"stock": {"$lte": 0}}
    total = db.products.count_documents(query)
    rows = [
        (d["_id"], d["name"], d["category"], d["stock"])
        for d in db.products.find(query).sort([("stock", 1), ("_id", 1)]).limit(limit)
    ]
    return Report(f"Out-of-stock products: {total}", ("product_id", "name", "category", "stock"), rows)


def all_reports(db: Database) -> list[Report]:
    return [
        revenue_by_category(db),
        top_customers_by_spending(db),
        inactive_customers(db),
        top_selling_product(db),
        out_of_stock_products(db),
    ]


def render(report: Report) -> str:
    """A plain-text table a person can read in a terminal."""
    cells = [tuple(str(c) for c in report.columns)] + [tuple(_fmt(v) for v in row) for row in report.rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(report.columns))]
    lines = [report.title, "-" * len(report.title)]
    for n, row in enumerate(cells):
        lines.append("  ".join(v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(row, widths, strict=True)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    if not report.rows:
        lines.append("(none)")
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


def _numeric(text: str) -> bool:
    return text.replace(",", "").replace(".", "", 1).lstrip("-").isdigit()
