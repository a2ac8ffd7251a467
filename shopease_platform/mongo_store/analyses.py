"""The MongoDB brief's analyses, in the brief's own pipeline shapes, returning data (`shopease mongo-report`
renders it; the cross-check tests compare it with the SQL marts).

Shapes: revenue by category starts at `products` and `$lookup`s each product's lines in `order_items`
(index `{product_id, quantity, unit_price}`), then `$unwind`, `$group` by category, `$sort`; the top customer
and the inactive customers start at `customers` and `$lookup` their orders (index `{customer_id,
order_total}`). Each `$lookup` joins on `localField`/`foreignField` and sums inside its own `pipeline` from
the index alone, so it returns a total per product or customer, never their lines. Money is summed in
whole cents (`quantity * unit_price` rounded to the cent per line, as the ETL stores `line_revenue`), so every
figure equals the warehouse's `numeric` sums exactly; it is returned as `Decimal`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pymongo.database import Database

Pipeline = list[dict[str, Any]]
TOP_SHARE = 0.05
COLLSCAN = "COLLSCAN"


def line_cents(prefix: str = "$") -> dict[str, Any]:
    """A line's revenue in whole cents: `round(quantity * unit_price * 100)` as a 64-bit integer."""
    product = {"$multiply": [f"{prefix}quantity", f"{prefix}unit_price", 100]}
    return {"$toLong": {"$round": [product, 0]}}


def money(cents: int) -> Decimal:
    return Decimal(int(cents)).scaleb(-2)


def order_cents(field: str = "$order_total") -> dict[str, Any]:
    """An order's total in whole cents; `order_total` is the sum of its lines' cents (dbt tests it)."""
    return {"$toLong": {"$round": [{"$multiply": [field, 100]}, 0]}}


def customers_by_signup_day() -> dict[str, Any]:
    """Customers gathered per sign-up day, so one `$lookup` reads the orders of a day's customers (a few hundred).

    A `$lookup` per customer costs about 40-150 us of planning and setup on the server whatever the inner side
    does, which at a year of data (126k customers) is 5-20 s; per day it is 365 lookups, each one index range.
    """
    return {"$group": {"_id": {"$dateTrunc": {"date": "$created_at", "unit": "day"}}, "ids": {"$push": "$_id"}}}


REVENUE_BY_CATEGORY: Pipeline = [
    {"$lookup": {"from": "order_items", "localField": "_id", "foreignField": "product_id", "as": "sold",
                 "pipeline": [{"$group": {"_id": None, "cents": {"$sum": line_cents()}}}]}},
    {"$unwind": "$sold"},
    {"$group": {"_id": "$category", "cents": {"$sum": "$sold.cents"}}},
    {"$sort": {"cents": -1, "_id": 1}},
]  # fmt: skip
"""Each product's lines summed inside the `$lookup`, from the index `{product_id, quantity, unit_price}` alone
(a covered scan: no line document is read), so each product brings one small document, not its lines."""

TOP_CUSTOMER: Pipeline = [
    customers_by_signup_day(),
    {"$lookup": {"from": "orders", "localField": "ids", "foreignField": "customer_id", "as": "spent",
                 "pipeline": [{"$group": {"_id": "$customer_id", "orders": {"$sum": 1},
                                          "cents": {"$sum": order_cents()}}}]}},
    {"$unwind": "$spent"},
    {"$replaceWith": "$spent"},
    {"$sort": {"cents": -1, "_id": 1}},
    {"$limit": 1},
    {"$lookup": {"from": "customers", "localField": "_id", "foreignField": "_id", "as": "customer",
                 "pipeline": [{"$project": {"_id": 0, "first_name": 1, "last_name": 1}}]}},
    {"$replaceWith": {"$mergeObjects": [{"$first": "$customer"}, "$$ROOT"]}},
    {"$project": {"customer": 0}},
]  # fmt: skip
"""Orders summed per customer inside the `$lookup`, from the index `{customer_id, order_total}` alone."""

INACTIVE_CUSTOMERS: Pipeline = [
    customers_by_signup_day(),
    {"$lookup": {"from": "orders", "localField": "ids", "foreignField": "customer_id", "as": "buyers",
                 "pipeline": [{"$group": {"_id": "$customer_id"}}]}},
    {"$project": {"_id": {"$setDifference": ["$ids", "$buyers._id"]}}},
    {"$unwind": "$_id"},
    {"$sort": {"_id": 1}},
]  # fmt: skip
"""A day's customers minus those the index `{customer_id, order_total}` knows an order of."""

TOP_SELLING_PRODUCT: Pipeline = [
    {"$group": {"_id": "$product_id", "units": {"$sum": "$quantity"}, "lines": {"$sum": 1}}},
    {"$sort": {"units": -1, "_id": 1}},
    {"$limit": 1},
    {"$lookup": {"from": "products", "localField": "_id", "foreignField": "_id", "as": "product"}},
    {"$project": {"units": 1, "lines": 1, "product": {"$first": "$product"}}},
]

TOTAL_REVENUE: Pipeline = [
    {"$group": {"_id": None, "cents": {"$sum": line_cents()}, "lines": {"$sum": 1}}},
]

CUSTOMER_SALES: Pipeline = [
    {"$group": {"_id": "$customer_id", "cents": {"$sum": line_cents()}}},
    {"$setWindowFields": {"sortBy": {"cents": -1}, "output": {
        "rank": {"$documentNumber": {}},
        "customers": {"$count": {}, "window": {"documents": ["unbounded", "unbounded"]}},
        "total": {"$sum": "$cents", "window": {"documents": ["unbounded", "unbounded"]}},
    }}},
    {"$match": {"$expr": {"$lte": ["$rank", {"$ceil": {"$multiply": [TOP_SHARE, "$customers"]}}]}}},
    {"$group": {"_id": None, "top": {"$sum": 1}, "top_cents": {"$sum": "$cents"},
                "customers": {"$first": "$customers"}, "total_cents": {"$first": "$total"}}},
]  # fmt: skip
"""Customers ranked by gross sales; the top ceil(5%) of those with an order, and their sales.

The definition breaks ties by customer_id, but `$documentNumber` takes a single sort key: customers tied at the
cut have the same sales, so the top's count and sales are the same whichever of them is counted in."""

LOOKUP_PIPELINES: dict[str, tuple[str, Pipeline]] = {
    "revenue_by_category": ("products", REVENUE_BY_CATEGORY),
    "top_customer": ("customers", TOP_CUSTOMER),
    "inactive_customers": ("customers", INACTIVE_CUSTOMERS),
}


@dataclass(frozen=True)
class CustomerSpend:
    customer_id: str
    name: str
    orders: int
    spent: Decimal


@dataclass(frozen=True)
class ProductUnits:
    product_id: str
    name: str
    category: str
    units: int
    order_lines: int


@dataclass(frozen=True)
class OutOfStock:
    product_id: str
    name: str
    category: str
    stock: int


@dataclass(frozen=True)
class Concentration:
    """`top_customers` (ceil of 5% of `customers`, those with an order) account for `share` of `total_sales`."""

    customers: int
    top_customers: int
    top_sales: Decimal
    total_sales: Decimal

    @property
    def share(self) -> Decimal:
        if not self.total_sales:
            return Decimal(0)
        return (self.top_sales / self.total_sales).quantize(Decimal("0.0001"))


def revenue_by_category(db: Database) -> dict[str, Decimal]:
    """Revenue of every category that sold, highest first."""
    return {d["_id"]: money(d["cents"]) for d in db.products.aggregate(REVENUE_BY_CATEGORY)}


def top_customer(db: Database) -> CustomerSpend | None:
    """The customer who spent most (ties: lower customer_id), with their order count."""
    for d in db.customers.aggregate(TOP_CUSTOMER):
        return CustomerSpend(d["_id"], f"{d['first_name']} {d['last_name']}", d["orders"], money(d["cents"]))
    return None


def inactive_customers(db: Database) -> list[str]:
    """Ids of the customers without any order, ascending."""
    return [d["_id"] for d in db.customers.aggregate(INACTIVE_CUSTOMERS)]


def top_selling_product(db: Database) -> ProductUnits | None:
    """The product with the most units sold (ties: lower product_id)."""
    for d in db.order_items.aggregate(TOP_SELLING_PRODUCT):
        product = d.get("product") or {}
        return ProductUnits(d["_id"], product.get("name", "?"), product.get("category", "?"), d["units"], d["lines"])
    return None


def out_of_stock_products(db: Database) -> list[OutOfStock]:
    """Products whose stock is zero or below, by id."""
    cursor = db.products.find({"stock": {"$lte": 0}}, {"name": 1, "category": 1, "stock": 1}).sort("_id", 1)
    return [OutOfStock(d["_id"], d["name"], d["category"], d["stock"]) for d in cursor]


def total_revenue(db: Database) -> Decimal:
    return next((money(d["cents"]) for d in db.order_items.aggregate(TOTAL_REVENUE)), Decimal("0.00"))


def customer_concentration(db: Database) -> Concentration:
    for d in db.order_items.aggregate(CUSTOMER_SALES, allowDiskUse=True):
        return Concentration(d["customers"], d["top"], money(d["top_cents"]), money(d["total_cents"]))
    return Concentration(0, 0, Decimal("0.00"), Decimal("0.00"))


def top_count(customers: int) -> int:
    """How many customers the top 5% is: ceil(0.05 * customers with an order)."""
    return math.ceil(TOP_SHARE * customers)


def lookup_indexes(db: Database) -> dict[str, list[str]]:
    """Per analysis, the indexes its `$lookup` stages use, read from `explain`; `COLLSCAN` when one scans.

    A `$lookup` reports the indexes it used only once it has run, so this explains at `executionStats`
    verbosity, which runs each pipeline once.
    """
    used = {}
    for name, (collection, pipeline) in LOOKUP_PIPELINES.items():
        plan = db.command("explain", {"aggregate": collection, "pipeline": pipeline, "cursor": {}},
                          verbosity="executionStats")  # fmt: skip
        used[name] = sorted(set(_lookup_indexes(plan)))
    return used


def _lookup_indexes(node: Any) -> Iterator[str]:
    """Index names under `$lookup` stages (classic engine: `indexesUsed`; slot engine: `EQ_LOOKUP` `indexName`)."""
    if isinstance(node, list):
        for child in node:
            yield from _lookup_indexes(child)
    elif isinstance(node, Mapping):
        if node.get("stage") == "EQ_LOOKUP" and "indexName" in node:
            yield node["indexName"]
        if isinstance(node.get("$lookup"), Mapping):
            yield from node.get("indexesUsed", [])
            if node.get("collectionScans", 0):
                yield COLLSCAN
        for child in node.values():
            yield from _lookup_indexes(child)
