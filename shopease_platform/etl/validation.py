"""Pure checks and flattening of raw MongoDB documents into raw-table rows.

A document that fails any check is not loaded: it is quarantined in `raw.rejected_documents` with the first
reason found, so bad input is visible and nothing is silently dropped. Reasons are short, stable phrases
that can be grouped on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Document = Mapping[str, Any]
Row = tuple[Any, ...]


class Rejected(ValueError):
    """Raised by a flattener with the reason the document cannot be loaded."""


@dataclass(frozen=True)
class References:
    """Ids a document may point at; anything else is an unknown reference."""

    products: frozenset[str]
    stores: frozenset[str]
    customers: frozenset[str]


def _text(doc: Document, field: str) -> str:
    value = doc.get(field)
    if value is None:
        raise Rejected(f"missing field {field}")
    if not isinstance(value, str) or not value:
        raise Rejected(f"{field} is not a non-empty string")
    return value


def _optional_text(doc: Document, field: str) -> str | None:
    value = doc.get(field)
    if value is not None and not isinstance(value, str):
        raise Rejected(f"{field} is not a string")
    return value


def _integer(doc: Document, field: str) -> int:
    value = doc.get(field)
    if value is None:
        raise Rejected(f"missing field {field}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise Rejected(f"{field} is not an integer")
    return value


def _number(doc: Document, field: str) -> float:
    value = doc.get(field)
    if value is None:
        raise Rejected(f"missing field {field}")
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise Rejected(f"{field} is not a number")
    return float(value)


def _price(doc: Document, field: str) -> float:
    value = _number(doc, field)
    if value <= 0:
        raise Rejected(f"{field} must be > 0")
    return value


def _timestamp(doc: Document, field: str) -> datetime:
    value = doc.get(field)
    if value is None:
        raise Rejected(f"missing field {field}")
    if isinstance(value, str):
        raise Rejected(f"{field} is a string, not a date")
    if not isinstance(value, datetime):
        raise Rejected(f"{field} is not a date")
    if value.tzinfo is None or value.utcoffset() is None:
        raise Rejected(f"{field} is a naive timestamp")
    return value


def _source_id(doc: Document) -> str:
    value = doc.get("_id")
    if not isinstance(value, str) or not value:
        raise Rejected("_id is not a non-empty string")
    return value


def order_rows(doc: Document, window: tuple[datetime, datetime], refs: References) -> tuple[Row, list[Row]]:
    """One raw.orders row and its raw.order_items rows, or `Rejected`.

    Money stays float here (cents precision); the database casts it to numeric(12,2).
    """
    order_id = _source_id(doc)
    customer_id = _text(doc, "customer_id")
    store_id = _text(doc, "store_id")
    ordered_at = _timestamp(doc, "ordered_at")
    if not window[0] <= ordered_at < window[1]:
        raise Rejected("ordered_at outside the window being loaded")
    items = doc.get("items")
    if not isinstance(items, list) or not items:
        raise Rejected("items missing or empty")
    lines: list[Row] = []
    seen_products: set[str] = set()
    seen_lines: set[int] = set()
    total = 0.0
    for item in items:
        if not isinstance(item, dict):
            raise Rejected("line item is not a document")
        line_number = _integer(item, "line_number")
        product_id = _text(item, "product_id")
        quantity = _integer(item, "quantity")
        if quantity <= 0:
            raise Rejected("quantity must be > 0")
        unit_price = _price(item, "unit_price")
        if product_id in seen_products or line_number in seen_lines:
            raise Rejected("duplicate line")
        if product_id not in refs.products:
            raise Rejected("unknown product_id")
        seen_products.add(product_id)
        seen_lines.add(line_number)
        revenue = round(quantity * unit_price, 2)
        total += revenue
        lines.append((order_id, line_number, product_id, quantity, unit_price, revenue, ordered_at, order_id))
    if customer_id not in refs.customers:
        raise Rejected("unknown customer_id")
    if store_id not in refs.stores:
        raise Rejected("unknown store_id")
    order_total = _number(doc, "order_total")
    if abs(order_total - total) > 0.005 * len(lines) + 1e-9:
        raise Rejected("order_total does not match its lines")
    status = _optional_text(doc, "status") or "placed"
    currency = _optional_text(doc, "currency") or "USD"
    order = (order_id, customer_id, store_id, ordered_at, status, currency, order_total, len(lines), order_id)
    return order, lines


def product_row(doc: Document) -> Row:
    pid = _source_id(doc)
    return (
        pid, _text(doc, "sku"), _text(doc, "name"), _text(doc, "category"), _optional_text(doc, "subcategory"),
        _optional_text(doc, "brand"), _price(doc, "base_price"), _price(doc, "price"),
        _integer(doc, "initial_stock"), _integer(doc, "stock"), _integer(doc, "reorder_point"),
        _timestamp(doc, "launched_at"), _timestamp(doc, "updated_at"), pid,
    )  # fmt: skip


def store_row(doc: Document) -> Row:
    sid = _source_id(doc)
    kind = _text(doc, "kind")
    if kind not in ("online", "branch"):
        raise Rejected("kind is neither online nor branch")
    return (
        sid, _text(doc, "name"), kind, _optional_text(doc, "state"), _optional_text(doc, "city"),
        _timestamp(doc, "opened_at"), sid,
    )  # fmt: skip


def customer_row(doc: Document) -> Row:
    cid = _source_id(doc)
    address = doc.get("address")
    if not isinstance(address, dict):
        raise Rejected("address missing or not a document")
    state = _text(address, "state")
    if len(state) != 2:
        raise Rejected("address.state is not a 2-letter code")
    return (
        cid, _text(doc, "first_name"), _text(doc, "last_name"), _text(doc, "email"), _optional_text(doc, "phone"),
        _optional_text(address, "street"), _optional_text(address, "city"), state,
        _optional_text(address, "postal_code"), _timestamp(doc, "created_at"),
        _number(doc, "repeat_propensity"), cid,
    )  # fmt: skip


def price_event_row(doc: Document) -> Row:
    eid = _source_id(doc)
    return (
        eid, _text(doc, "product_id"), _timestamp(doc, "effective_at"), _text(doc, "kind"),
        _price(doc, "old_price"), _price(doc, "new_price"), eid,
    )  # fmt: skip


def partition(
    docs: Sequence[Document], flatten: Callable[[Document], Row]
) -> tuple[list[Row], list[tuple[Document, str]]]:
    """Split documents into loadable rows and (document, reason) rejects."""
    rows: list[Row] = []
    rejects: list[tuple[Document, str]] = []
    for doc in docs:
        try:
            rows.append(flatten(doc))
        except Rejected as reason:
            rejects.append((doc, str(reason)))
    return rows, rejects
