"""Validate and flatten a Parquet record batch of orders column-wise, with the exact rules of `order_rows`.

The cloud raw store holds orders as Parquet with the documents' own fields (`s3_store.tables.ORDERS`). A batch
of exactly that schema takes the vectorised path: Parquet already guarantees the types, so only values are
checked here (present, non-empty, in the window, known references, positive quantities and prices, no repeated
line, a total that matches its lines with Python's float arithmetic). Every row it doubts, and every row of a
batch whose schema differs (a producer that wrote quantities as text, say), becomes a document again
(`to_pylist`) and is judged by `validation.order_rows` itself, so reasons never drift from the MongoDB path.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopease_platform.etl.order_batch import Batch, Columns, KnownCustomers, ReferenceSets, _duplicated
from shopease_platform.etl.pg_binary import UNIX_EPOCH, python_round2
from shopease_platform.etl.tables import ORDER_ITEMS, ORDERS
from shopease_platform.etl.validation import Document, References, Rejected, Row, order_rows
from shopease_platform.s3_store.tables import ORDERS as ORDER_SCHEMA

Window = tuple[datetime, datetime]


def _present_text(values: pa.Array) -> np.ndarray:
    """Non-null, non-empty strings."""
    return pc.fill_null(pc.greater(pc.binary_length(values), 0), False).to_numpy(zero_copy_only=False)


def _not_null(values: pa.Array) -> np.ndarray:
    return pc.is_valid(values).to_numpy(zero_copy_only=False)


def _in(values: pa.Array, known: pa.Array) -> np.ndarray:
    return pc.fill_null(pc.is_in(values.cast(pa.binary()), value_set=known), False).to_numpy(zero_copy_only=False)


def _with_default(values: pa.Array, default: str) -> pa.Array:
    """`value or default`: null and empty strings take the default."""
    filled = pc.fill_null(values, default)
    return pc.if_else(pc.equal(pc.binary_length(filled), 0), default, filled).cast(pa.binary())


def _micros(values: pa.Array) -> np.ndarray:
    return values.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False) * 1000


def flatten_parquet_orders(
    batch: pa.RecordBatch, window: Window, references: ReferenceSets, customers: KnownCustomers
) -> Batch:
    """Rows and rejects for one record batch of orders, exactly as `order_rows` decides."""
    count = batch.num_rows
    if not batch.schema.equals(ORDER_SCHEMA):
        return _exact(batch, np.arange(count), window, references, customers)
    column = {name: batch.column(name) for name in ORDER_SCHEMA.names}
    good = _present_text(column["_id"]) & _present_text(column["customer_id"]) & _present_text(column["store_id"])
    good &= _in(column["store_id"], references.store_array)
    start_ms, end_ms = (int((t - UNIX_EPOCH).total_seconds() * 1000) for t in window)
    ordered_ms = column["ordered_at"].cast(pa.int64()).fill_null(start_ms - 1).to_numpy(zero_copy_only=False)
    good &= (ordered_ms >= start_ms) & (ordered_ms < end_ms)
    order_total = column["order_total"].fill_null(np.nan).to_numpy(zero_copy_only=False)
    good &= np.isfinite(order_total)

    items = column["items"]
    counts = pc.fill_null(pc.list_value_length(items), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    good &= _not_null(items) & (counts >= 1)
    lines = pc.list_flatten(items)
    owners = pc.list_parent_indices(items).to_numpy(zero_copy_only=False).astype(np.int64)
    line_number = lines.field("line_number")
    quantity = lines.field("quantity")
    unit_price = lines.field("unit_price")
    product_id = lines.field("product_id")
    line_ok = _not_null(lines) & _not_null(line_number) & _not_null(quantity) & _present_text(product_id)
    numbers = line_number.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    units = quantity.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    prices = unit_price.fill_null(np.nan).to_numpy(zero_copy_only=False)
    line_ok &= (units > 0) & np.isfinite(prices) & (prices > 0)
    product = pc.index_in(product_id.cast(pa.binary()), value_set=references.product_array)
    product_index = pc.fill_null(product, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    line_ok &= product_index >= 0
    good[owners[~line_ok]] = False
    if len(owners):
        good[_duplicated(owners, numbers)] = False
        good[_duplicated(owners, product_index)] = False

    # Revenue and the order total with Python's float arithmetic, summed line by line in document order.
    revenue = python_round2(units.astype(np.float64) * prices)
    starts = np.zeros(count + 1, np.int64)
    np.cumsum(counts, out=starts[1:])
    positions = np.arange(len(owners)) - starts[owners] if len(owners) else owners
    lines_total = np.zeros(count)
    for position in range(int(positions.max()) + 1 if len(positions) else 0):
        step = positions == position
        lines_total[owners[step]] += revenue[step]
    with np.errstate(invalid="ignore"):
        good &= ~(np.abs(order_total - lines_total) > 0.005 * counts + 1e-9)

    passed = np.flatnonzero(good)
    customer_id = column["customer_id"].cast(pa.binary())
    known, _ = customers.check(customer_id.take(pa.array(passed)), set())
    good[passed[~known]] = False

    keep = pa.array(good)
    order_id = column["_id"].cast(pa.binary())
    kept_ids = order_id.filter(keep)
    fast_orders = Columns(ORDERS, {
        "order_id": kept_ids, "customer_id": customer_id.filter(keep),
        "store_id": column["store_id"].cast(pa.binary()).filter(keep), "ordered_at": ordered_ms[good] * 1000,
        "status": _with_default(column["status"], "placed").filter(keep),
        "currency": _with_default(column["currency"], "USD").filter(keep),
        "order_total": order_total[good], "line_count": counts[good], "_source_id": kept_ids,
    })  # fmt: skip
    line_keep = good[owners]
    line_ids = order_id.take(pa.array(owners[line_keep]))
    fast_lines = Columns(ORDER_ITEMS, {
        "order_id": line_ids, "line_number": numbers[line_keep],
        "product_id": product_id.cast(pa.binary()).filter(pa.array(line_keep)), "quantity": units[line_keep],
        "unit_price": prices[line_keep], "line_revenue": revenue[line_keep],
        "ordered_at": ordered_ms[owners[line_keep]] * 1000, "_source_id": line_ids,
    })  # fmt: skip
    exact = _exact(batch, np.flatnonzero(~good), window, references, customers)
    return Batch(
        Columns.concat([fast_orders, exact.orders]), Columns.concat([fast_lines, exact.lines]), exact.rejects, count
    )


def _exact(
    batch: pa.RecordBatch, rows: np.ndarray, window: Window, references: ReferenceSets, customers: KnownCustomers
) -> Batch:
    """`order_rows` on each of `rows`, decoded back into the document it was written from."""
    documents = batch.take(pa.array(rows, pa.int64())).to_pylist() if len(rows) else []
    others = {d["customer_id"] for d in documents if isinstance(d.get("customer_id"), str)}
    _, known = customers.check(pa.array([], pa.binary()), others)
    refs = References(references.products, references.stores, known)
    orders: list[Row] = []
    lines: list[Row] = []
    rejects: list[tuple[Document, str]] = []
    for document in documents:
        try:
            order, order_lines = order_rows(document, window, refs)
        except Rejected as reason:
            rejects.append((document, str(reason)))
            continue
        orders.append(order)
        lines.extend(order_lines)
    return Batch(Columns.from_rows(ORDERS, orders), Columns.from_rows(ORDER_ITEMS, lines), rejects, len(rows))
