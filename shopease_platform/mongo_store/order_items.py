"""The `order_items` collection: one document per order line, referencing its order, product and customer.

Lines live twice on purpose. Embedded in `orders` (`items`), an order reads whole in one document, the shape
the ETL and the change stream take. Referenced in `order_items`, one document per line with the order's keys
copied in, a product's or a customer's lines are an index scan away, which is what `$lookup` from `products`
needs (see the README's "Referencing vs embedding"). Both are written in the same transaction, so they never
disagree.

A line's `_id` is `<order_id>-<line_number>`: deterministic, so a re-run of a window finds the same ids.
Revenue is not stored: it is `quantity * unit_price` to the cent, computed where it is summed, as the ETL does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ORDER_ITEM_FIELDS = (
    "_id",
    "order_id",
    "customer_id",
    "store_id",
    "ordered_at",
    "line_number",
    "product_id",
    "quantity",
    "unit_price",
)


def line_id(order_id: str, line_number: int) -> str:
    return f"{order_id}-{line_number}"


def line_documents(orders: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The `order_items` documents of these orders, fields in `ORDER_ITEM_FIELDS` order."""
    documents = []
    for order in orders:
        for item in order["items"]:
            documents.append(
                {
                    "_id": line_id(order["_id"], item["line_number"]),
                    "order_id": order["_id"],
                    "customer_id": order["customer_id"],
                    "store_id": order["store_id"],
                    "ordered_at": order["ordered_at"],
                    "line_number": item["line_number"],
                    "product_id": item["product_id"],
                    "quantity": item["quantity"],
                    "unit_price": item["unit_price"],
                }
            )
    return documents
