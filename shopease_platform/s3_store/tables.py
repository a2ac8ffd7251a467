"""The cloud raw store's Parquet schemas, explicit to the bit, and the simulation's windows as Arrow tables.

Field names are those of the MongoDB documents (`_id`, embedded `address` and `items`), so a row read back
with `to_pylist()` is the very document the MongoDB path would have stored, and the loader judges both with the
same validation. Times are UTC milliseconds, MongoDB's own precision, so both paths load the same instants.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

from shopease_platform.etl.pg_binary import python_round2
from shopease_platform.simulation import OrderColumns, SimulationConfig, build_catalog, restocks_for_window
from shopease_platform.simulation.stores import store_ids

TIME = pa.timestamp("ms", tz="UTC")
TEXT = pa.string()

PRODUCTS = pa.schema([
    ("_id", TEXT), ("sku", TEXT), ("name", TEXT), ("category", TEXT), ("subcategory", TEXT), ("brand", TEXT),
    ("base_price", pa.float64()), ("price", pa.float64()), ("initial_stock", pa.int32()), ("stock", pa.int32()),
    ("reorder_point", pa.int32()), ("launched_at", TIME), ("updated_at", TIME),
])  # fmt: skip
STORES = pa.schema([
    ("_id", TEXT), ("name", TEXT), ("kind", TEXT), ("state", TEXT), ("city", TEXT), ("opened_at", TIME),
])  # fmt: skip
ADDRESS = pa.struct([("street", TEXT), ("city", TEXT), ("state", TEXT), ("postal_code", TEXT)])
CUSTOMERS = pa.schema([
    ("_id", TEXT), ("first_name", TEXT), ("last_name", TEXT), ("email", TEXT), ("phone", TEXT),
    ("address", ADDRESS), ("created_at", TIME), ("repeat_propensity", pa.float64()),
])  # fmt: skip
PRICE_EVENTS = pa.schema([
    ("_id", TEXT), ("product_id", TEXT), ("effective_at", TIME), ("kind", TEXT),
    ("old_price", pa.float64()), ("new_price", pa.float64()),
])  # fmt: skip
PRICES = pa.schema([("product_id", TEXT), ("price", pa.float64())])
"""Every product's price in force during a price-events window (what MongoDB's current price follows)."""
ITEM = pa.struct([
    ("line_number", pa.int32()), ("product_id", TEXT), ("quantity", pa.int32()), ("unit_price", pa.float64()),
])  # fmt: skip
ORDERS = pa.schema([
    ("_id", TEXT), ("customer_id", TEXT), ("store_id", TEXT), ("ordered_at", TIME), ("status", TEXT),
    ("currency", TEXT), ("order_total", pa.float64()), ("items", pa.list_(ITEM)),
])  # fmt: skip
STOCK = pa.schema([("product_id", TEXT), ("delta", pa.int64())])
"""Units restocked minus units ordered per product in an orders window (products that moved only)."""


def documents_table(documents: Sequence[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """Documents as a table of exactly `schema` (fields outside it, such as MongoDB-only state, are left out)."""
    names = schema.names
    return pa.Table.from_pylist([{name: d.get(name) for name in names} for d in documents], schema=schema)


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def orders_table(config: SimulationConfig, columns: OrderColumns, rows: slice | None = None) -> pa.Table:
    """The window's orders, lines nested as `items`, built from the simulation's columns without a dict per order.

    `rows` selects consecutive orders (a part of the window).
    """
    rows = rows or slice(0, len(columns))
    first, last = rows.indices(len(columns))[:2]
    lo, hi = int(columns.line_offsets[first]), int(columns.line_offsets[last])
    product_ids = np.array(build_catalog(config).product_ids, dtype=object)
    stores = np.array(store_ids(config), dtype=object)
    line_offsets = (columns.line_offsets[first : last + 1] - lo).astype(np.int32)
    position = np.arange(hi - lo) - np.repeat(line_offsets[:-1], np.diff(line_offsets))
    items = pa.StructArray.from_arrays(
        [
            pa.array(position + 1, pa.int32()),
            pa.array(product_ids[columns.product[lo:hi]], TEXT),
            pa.array(columns.quantity[lo:hi], pa.int32()),
            pa.array(columns.unit_price[lo:hi], pa.float64()),
        ],
        fields=list(ITEM),
    )
    count = last - first
    ordered_ms = _epoch_ms(columns.window_start) + columns.ordered_offset[first:last].astype(np.int64) * 1000
    arrays = [
        pa.array(columns.order_ids()[first:last], TEXT),
        pa.array(columns.customer_ids()[first:last], TEXT),
        pa.array(stores[columns.store[first:last]], TEXT),
        pa.array(ordered_ms, pa.int64()).cast(TIME),
        pa.array(["placed"] * count, TEXT),
        pa.array(["USD"] * count, TEXT),
        pa.array(columns.order_totals()[first:last], pa.float64()),
        pa.ListArray.from_arrays(pa.array(line_offsets, pa.int32()), items, type=ORDERS.field("items").type),
    ]
    return pa.Table.from_arrays(arrays, schema=ORDERS)


def order_totals(columns: OrderColumns, rows: slice | None = None) -> dict[str, float]:
    """Orders, lines and revenue (each line rounded to cents, as the raw tables hold it) of some orders."""
    rows = rows or slice(0, len(columns))
    first, last = rows.indices(len(columns))[:2]
    lo, hi = int(columns.line_offsets[first]), int(columns.line_offsets[last])
    revenue = python_round2(columns.quantity[lo:hi].astype(np.float64) * columns.unit_price[lo:hi])
    return {"orders": last - first, "lines": hi - lo, "revenue": round(float(revenue.sum()), 2)}


def stock_table(config: SimulationConfig, columns: OrderColumns, window_start: datetime) -> pa.Table:
    """The window's stock movement: restocks arriving in it minus the units its orders sell."""
    product_ids = build_catalog(config).product_ids
    delta = -np.bincount(columns.product, weights=columns.quantity, minlength=len(product_ids)).astype(np.int64)
    index = {pid: i for i, pid in enumerate(product_ids)}
    for restock in restocks_for_window(config, window_start):
        delta[index[restock["product_id"]]] += restock["quantity"]
    moved = np.flatnonzero(delta)
    return pa.Table.from_arrays(
        [pa.array([product_ids[i] for i in moved.tolist()], TEXT), pa.array(delta[moved], pa.int64())], schema=STOCK
    )
