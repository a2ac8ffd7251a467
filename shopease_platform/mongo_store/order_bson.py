"""A window's order documents encoded as BSON straight from the simulation's columns, with numpy.

Building a dict per order and per line, then encoding it, costs several times the simulation itself. Every
order has the same shape: fixed fields, then 1..n lines of fixed fields, with ids of one width per window. So
all orders with the same number of lines have the same byte layout, and each such group is one 2-D array
(a row per order) whose fields are written as column slices. The bytes are exactly what `bson.encode` makes
of the dicts `orders_for_window` returns (a unit test compares them window by window); when a window does not
fit the layout (ids of different widths, a quantity beyond int32, more than 10 lines), `encode_orders` returns
None and the caller encodes the dicts instead.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

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


def encode_orders(
    columns: OrderColumns, store_ids: Sequence[str], product_ids: Sequence[str], totals: np.ndarray
) -> list[bytes] | None:
    """One BSON document per order, identical to encoding `orders_for_window`'s dicts; None if the layout differs."""
    n = len(columns)
    if n == 0:
        return []
    counts = np.diff(columns.line_offsets)
    quantity = columns.quantity
    if counts.max() > _MAX_LINES or quantity.min() < _INT32_RANGE[0] or quantity.max() > _INT32_RANGE[1]:
        return None
    order_ids, customer_ids = columns.order_ids_ascii(), columns.customer_ids_ascii()
    stores, products = _fixed_width(store_ids), _fixed_width(product_ids)
    if order_ids is None or customer_ids is None or stores is None or products is None:
        return None
    layout = _Layout(order_ids.shape[1], customer_ids.shape[1], stores.shape[1], products.shape[1])
    start_ms = round(columns.window_start.timestamp() * 1000)
    ordered_at = start_ms + columns.ordered_offset * 1000
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
