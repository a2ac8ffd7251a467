"""A window's order documents encoded as BSON straight from the simulation's columns, with numpy.

Building a dict per order and per line, then encoding it, costs several times the simulation itself. Every
order has the same shape: fixed fields, then 1..n lines of fixed fields, with ids of one width per window. So
all orders with the same number of lines have the same byte layout, and each such group is one 2-D array
(a row per order) whose fields are written as column slices. The bytes are exactly what `bson.encode` makes
of the dicts `orders_for_window` returns (a unit test compares them window by window); when a window does not
fit the layout (ids of different widths, a quantity beyond int32, more than 10 lines), `encode_orders` returns
None and the caller encodes the dicts instead. The window's `order_items` documents, one per line, are
encoded the same way (`encode_order_items`).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from shopease_platform.simulation import OrderColumns

_INT32_RANGE = (-(2**31), 2**31 - 1)
_MAX_LINES = 10  # array keys "0".."9" are one digit, so every line element has the same size


class _Layout:
    """Byte offsets of every field inside an order's head, a line element and the tail."""

    def __init__(self, order_id: int, customer_id: int, store_id: int, product_id: int) -> None:
        head = _Bytes()
        self.order_id = head.string("_id", order_id)
        self.customer_id = head.string("customer_id", customer_id)
        self.store_id = head.string("store_id", store_id)
        self.ordered_at = head.field(b"\x09", "ordered_at", 8)
        head.constant("status", "placed")
        head.constant("currency", "USD")
        self.items_length = head.field(b"\x04", "items", 4)
        self.head = head.template()

        line = _Bytes()
        line.data += b"\x03\x00\x00"  # an embedded document under the array key (one digit, set per line)
        line_length = line.skip(4)
        self.line_number = line.field(b"\x10", "line_number", 4)
        self.product_id = line.string("product_id", product_id)
        self.quantity = line.field(b"\x10", "quantity", 4)
        self.unit_price = line.field(b"\x01", "unit_price", 8)
        line.data += b"\x00"
        line.data[line_length : line_length + 4] = struct.pack("<i", len(line.data) - 3)
        self.line = line.template()

        tail = _Bytes()
        tail.data += b"\x00"  # closes the items array
        self.order_total = tail.field(b"\x01", "order_total", 8)
        tail.data += b"\x00"  # closes the order
        self.tail = tail.template()


class _Bytes:
    """A growing byte template; each method appends one BSON element and returns its value's offset."""

    def __init__(self) -> None:
        self.data = bytearray()

    def skip(self, size: int) -> int:
        self.data += bytes(size)
        return len(self.data) - size

    def field(self, kind: bytes, key: str, size: int) -> int:
        self.data += kind + key.encode() + b"\x00"
        return self.skip(size)

    def string(self, key: str, width: int) -> int:
        self.data += b"\x02" + key.encode() + b"\x00" + struct.pack("<i", width + 1)
        at = self.skip(width)
        self.data += b"\x00"
        return at

    def constant(self, key: str, value: str) -> None:
        at = self.string(key, len(value))
        self.data[at : at + len(value)] = value.encode()

    def template(self) -> np.ndarray:
        return np.frombuffer(bytes(self.data), np.uint8)


def _fixed_width(values: Sequence[str]) -> np.ndarray | None:
    """The strings as an (n, width) uint8 matrix, or None if they are not all ASCII of one width."""
    try:
        encoded = np.array(values, dtype="S")
    except UnicodeEncodeError:
        return None
    matrix = encoded.view(np.uint8).reshape(len(values), encoded.dtype.itemsize)
    if (matrix[:, -1] == 0).any():  # numpy pads a shorter string with NULs
        return None
    return matrix


def _le(values: np.ndarray, dtype: str) -> np.ndarray:
    """Little-endian bytes of each value, one row per value."""
    array = np.ascontiguousarray(values, dtype=dtype)
    return array.view(np.uint8).reshape(len(array), array.dtype.itemsize)


@dataclass(frozen=True)
class _Ids:
    """The window's ids as fixed-width ASCII matrices, and each order's time in BSON milliseconds."""

    orders: np.ndarray
    customers: np.ndarray
    stores: np.ndarray
    products: np.ndarray
    ordered_at: np.ndarray


def _fixed_layout_ids(columns: OrderColumns, store_ids: Sequence[str], product_ids: Sequence[str]) -> _Ids | None:
    """The ids every fixed layout needs, or None when the window does not fit one."""
    counts = np.diff(columns.line_offsets)
    quantity = columns.quantity
    if counts.max() > _MAX_LINES or quantity.min() < _INT32_RANGE[0] or quantity.max() > _INT32_RANGE[1]:
        return None
    order_ids, customer_ids = columns.order_ids_ascii(), columns.customer_ids_ascii()
    stores, products = _fixed_width(store_ids), _fixed_width(product_ids)
    if order_ids is None or customer_ids is None or stores is None or products is None:
        return None
    start_ms = round(columns.window_start.timestamp() * 1000)
    return _Ids(order_ids, customer_ids, stores, products, start_ms + columns.ordered_offset * 1000)


def encode_orders(
    columns: OrderColumns, store_ids: Sequence[str], product_ids: Sequence[str], totals: np.ndarray
) -> list[bytes] | None:
    """One BSON document per order, identical to encoding `orders_for_window`'s dicts; None if the layout differs."""
    n = len(columns)
    if n == 0:
        return []
    ids = _fixed_layout_ids(columns, store_ids, product_ids)
    if ids is None:
        return None
    counts = np.diff(columns.line_offsets)
    quantity = columns.quantity
    order_ids, customer_ids, stores, products = ids.orders, ids.customers, ids.stores, ids.products
    layout = _Layout(order_ids.shape[1], customer_ids.shape[1], stores.shape[1], products.shape[1])
    ordered_at = ids.ordered_at
    head, line, tail = len(layout.head), len(layout.line), len(layout.tail)

    documents: list[bytes] = [b""] * n
    for lines in np.unique(counts).tolist():
        which = np.flatnonzero(counts == lines)
        size = 4 + head + lines * line + tail
        rows = np.empty((len(which), size), np.uint8)
        rows[:, :4] = _le(np.full(len(which), size), "<i4")

        at = 4
        rows[:, at : at + head] = layout.head
        rows[:, at + layout.order_id :][:, : order_ids.shape[1]] = order_ids[which]
        rows[:, at + layout.customer_id :][:, : customer_ids.shape[1]] = customer_ids[which]
        rows[:, at + layout.store_id :][:, : stores.shape[1]] = stores[columns.store[which]]
        rows[:, at + layout.ordered_at :][:, :8] = _le(ordered_at[which], "<i8")
        rows[:, at + layout.items_length :][:, :4] = _le(np.full(len(which), 4 + lines * line + 1), "<i4")

        for position in range(lines):
            at = 4 + head + position * line
            index = columns.line_offsets[which] + position
            rows[:, at : at + line] = layout.line
            rows[:, at + 1] = ord("0") + position
            rows[:, at + layout.line_number :][:, :4] = _le(np.full(len(which), position + 1), "<i4")
            rows[:, at + layout.product_id :][:, : products.shape[1]] = products[columns.product[index]]
            rows[:, at + layout.quantity :][:, :4] = _le(quantity[index], "<i4")
            rows[:, at + layout.unit_price :][:, :8] = _le(columns.unit_price[index], "<f8")

        at = size - tail
        rows[:, at:] = layout.tail
        rows[:, at + layout.order_total :][:, :8] = _le(totals[which], "<f8")

        data = rows.tobytes()
        for k, i in enumerate(which.tolist()):
            documents[i] = data[k * size : (k + 1) * size]
    return documents


class _LineLayout:
    """Byte offsets of every field of an `order_items` document; `suffix` (`-<line_number>`) ends its `_id`."""

    def __init__(self, order_id: int, customer_id: int, store_id: int, product_id: int, suffix: str) -> None:
        line = _Bytes()
        line.skip(4)
        self.line_id = line.string("_id", order_id + len(suffix))
        self.order_id = line.string("order_id", order_id)
        self.customer_id = line.string("customer_id", customer_id)
        self.store_id = line.string("store_id", store_id)
        self.ordered_at = line.field(b"\x09", "ordered_at", 8)
        self.line_number = line.field(b"\x10", "line_number", 4)
        self.product_id = line.string("product_id", product_id)
        self.quantity = line.field(b"\x10", "quantity", 4)
        self.unit_price = line.field(b"\x01", "unit_price", 8)
        line.data += b"\x00"
        line.data[:4] = struct.pack("<i", len(line.data))
        line.data[self.line_id + order_id : self.line_id + order_id + len(suffix)] = suffix.encode()
        self.template = line.template()


def encode_order_items(
    columns: OrderColumns, store_ids: Sequence[str], product_ids: Sequence[str]
) -> list[bytes] | None:
    """One BSON `order_items` document per line, identical to encoding `order_items.line_documents` of the
    window's order dicts; None if the layout differs (the caller then derives them from the dicts).

    Lines in the same position of their order share a layout (the `-<line_number>` suffix of the `_id` is
    fixed), so each position is one 2-D array, as in `encode_orders`.
    """
    if len(columns) == 0:
        return []
    ids = _fixed_layout_ids(columns, store_ids, product_ids)
    if ids is None:
        return None
    counts = np.diff(columns.line_offsets)
    widths = (ids.orders.shape[1], ids.customers.shape[1], ids.stores.shape[1], ids.products.shape[1])
    documents: list[bytes] = [b""] * len(columns.product)
    for position in range(int(counts.max())):
        which = np.flatnonzero(counts > position)
        index = columns.line_offsets[which] + position
        layout = _LineLayout(*widths, suffix=f"-{position + 1}")
        size = len(layout.template)
        rows = np.empty((len(which), size), np.uint8)
        rows[:] = layout.template
        rows[:, layout.line_id :][:, : widths[0]] = ids.orders[which]
        rows[:, layout.order_id :][:, : widths[0]] = ids.orders[which]
        rows[:, layout.customer_id :][:, : widths[1]] = ids.customers[which]
        rows[:, layout.store_id :][:, : widths[2]] = ids.stores[columns.store[which]]
        rows[:, layout.ordered_at :][:, :8] = _le(ids.ordered_at[which], "<i8")
        rows[:, layout.line_number :][:, :4] = _le(np.full(len(which), position + 1), "<i4")
        rows[:, layout.product_id :][:, : widths[3]] = ids.products[columns.product[index]]
        rows[:, layout.quantity :][:, :4] = _le(columns.quantity[index], "<i4")
        rows[:, layout.unit_price :][:, :8] = _le(columns.unit_price[index], "<f8")
        data = rows.tobytes()
        for k, j in enumerate(index.tolist()):
            documents[j] = data[k * size : (k + 1) * size]
    return documents
