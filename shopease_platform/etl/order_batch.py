"""Validate and flatten a raw BSON batch of order documents column-wise, with the exact rules of `order_rows`.

The fast path reads every document of the batch at once (`bson_columns`) and applies the checks of
`validation.order_rows` as array operations: BSON types (so 2.0 or true is no integer, as in Python), values,
references, duplicate lines, the window and the order total, with the same float arithmetic. Whatever it
accepts yields the very rows `order_rows` would. Every other document, malformed or merely unusual (a layout
the walk does not follow, more than `MAX_FAST_ITEMS` lines, text that is not valid UTF-8, a client that decodes
dates or documents differently), is decoded with the client's codec options and handed to `order_rows`
itself, which loads it or gives the reason it is rejected. Rejects are rare, so the exact path costs nothing
in the normal case, and reasons never drift from the validation module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import bson
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from bson.codec_options import CodecOptions, DatetimeConversion, TypeDecoder

from shopease_platform.etl import bson_columns as bc
from shopease_platform.etl.pg_binary import UNIX_EPOCH, Field, numeric_cents, python_round2
from shopease_platform.etl.raw_cursor import RawBatch
from shopease_platform.etl.tables import ORDER_ITEMS, ORDERS, RawTable
from shopease_platform.etl.validation import Document, References, Rejected, Row, order_rows

ORDER_FIELDS = ("_id", "customer_id", "store_id", "ordered_at", "status", "currency", "items", "order_total")
ITEM_FIELDS = ("line_number", "product_id", "quantity", "unit_price")
# Documents are walked an element at a time across the batch: longer ones take the exact path.
MAX_FAST_ITEMS = 64
MAX_FIELDS = 64
INTEGER = (bc.INT32, bc.INT64)
NUMBER = (bc.DOUBLE, bc.INT32, bc.INT64)
OPTIONAL_TEXT = (bc.ABSENT, bc.NULL, bc.STRING)
_MICROSECOND = timedelta(microseconds=1)

Window = tuple[datetime, datetime]
Column = np.ndarray | pa.Array


def fast_path_applies(options: CodecOptions) -> bool:
    """Does the client decode orders the way the fast path assumes (dicts, aware datetimes, no decoders)?

    With other options `order_rows` would see other Python values (naive datetimes, `DatetimeMS`, raw
    documents, custom types) and judge them differently, so every document takes the exact path.
    """
    return bool(
        options.tz_aware
        and issubclass(options.document_class, dict)
        and options.datetime_conversion != DatetimeConversion.DATETIME_MS
        and not any(isinstance(codec, TypeDecoder) for codec in options.type_registry.codecs)
    )


def _binary(values: Iterable[str]) -> pa.Array:
    return pa.array([v.encode() for v in values], pa.binary())


@dataclass
class ReferenceSets:
    """Products and stores, as Python sets for `order_rows` and Arrow arrays for the vectorised checks."""

    products: frozenset[str]
    stores: frozenset[str]
    product_array: pa.Array = field(init=False)
    store_array: pa.Array = field(init=False)

    def __post_init__(self) -> None:
        self.product_array = _binary(sorted(self.products))
        self.store_array = _binary(sorted(self.stores))


def _kind(column_type: str) -> str:
    return "numeric" if column_type.startswith("numeric") else column_type


class Columns:
    """Rows of a raw table column by column, `_source_id` last, as `order_rows` would give them.

    Text is an Arrow binary array (UTF-8), integers int64, money float (it becomes numeric cents only when
    encoded, with PostgreSQL's own rounding), times int64 microseconds since 1970-01-01 UTC.
    """

    def __init__(self, table: RawTable, data: dict[str, Column]) -> None:
        self.table = table
        self.names = [*table.column_names, "_source_id"]
        self.kinds = [*(_kind(c.type) for c in table.columns), "text"]
        if list(data) != self.names:
            raise ValueError(f"columns {list(data)} are not those of raw.{table.name}")
        self.data = data

    def __len__(self) -> int:
        return len(self.data["_source_id"])

    @classmethod
    def from_rows(cls, table: RawTable, rows: Sequence[Row]) -> Columns:
        """Columns from Python rows (the exact path's)."""
        names = [*table.column_names, "_source_id"]
        kinds = [*(_kind(c.type) for c in table.columns), "text"]
        values = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        data: dict[str, Column] = {}
        for name, kind, column in zip(names, kinds, values, strict=True):
            if kind == "text":
                data[name] = _binary(column)
            elif kind == "timestamptz":
                data[name] = np.array([(t - UNIX_EPOCH) // _MICROSECOND for t in column], np.int64)
            else:
                data[name] = np.array(column, np.float64 if kind == "numeric" else np.int64)
        return cls(table, data)

    def rows(self) -> list[Row]:
        """Back to Python rows, as `order_rows` returns them (for checks and tests)."""
        columns: list[list] = []
        for name, kind in zip(self.names, self.kinds, strict=True):
            values = self.data[name]
            if kind == "text":
                columns.append([v.decode() for v in values.to_pylist()])
            elif kind == "timestamptz":
                columns.append([UNIX_EPOCH + timedelta(microseconds=int(v)) for v in values])
            else:
                columns.append(values.tolist())
        return list(zip(*columns, strict=True))

    @classmethod
    def concat(cls, parts: Sequence[Columns]) -> Columns:
        """The rows of `parts` in order; empty parts are skipped, so a batch with no exact-path rows copies nothing."""
        filled = [p for p in parts if len(p)] or list(parts[:1])
        if len(filled) == 1:
            return filled[0]
        data: dict[str, Column] = {}
        for name in filled[0].names:
            pieces = [p.data[name] for p in filled]
            data[name] = pa.concat_arrays(pieces) if isinstance(pieces[0], pa.Array) else np.concatenate(pieces)
        return cls(filled[0].table, data)

    def fields(self) -> list[Field]:
        """The columns for binary COPY; money goes from float to numeric cents here."""
        return [
            Field(name, kind, numeric_cents(self.data[name]) if kind == "numeric" else self.data[name])
            for name, kind in zip(self.names, self.kinds, strict=True)
        ]


@dataclass
class Batch:
    orders: Columns
    lines: Columns
    rejects: list[tuple[Document, str]]
    documents: int


class KnownCustomers:
    """Which customer ids exist: MongoDB is asked once a batch, about the ids this load has not yet found.

    Like the earlier per-batch `distinct`, the question goes to MongoDB as it is during the load; a customer
    found earlier in the same load is not asked about again (the orders of a window cite the same customers
    many times), which only differs if a customer document is deleted while its orders are being loaded.
    """

    def __init__(self, lookup: Callable[[list[str]], Iterable[str]]) -> None:
        self._lookup = lookup
        self._known: set[bytes] = set()

    def check(self, ids: pa.Array, others: set[str]) -> tuple[np.ndarray, frozenset[str]]:
        """Which of `ids` (binary) exist, and which of `others` (ids the exact path needs) exist."""
        encoded = pc.dictionary_encode(ids)
        names = encoded.dictionary.to_pylist()
        unseen = set(names).union(o.encode() for o in others).difference(self._known)
        if unseen:
            self._known.update(name.encode() for name in self._lookup([name.decode() for name in unseen]))
        flags = np.fromiter(map(self._known.__contains__, names), bool, len(names))
        known = flags[encoded.indices.to_numpy(zero_copy_only=False)] if len(ids) else np.zeros(0, bool)
        return known, frozenset(name for name in others if name.encode() in self._known)


def _numbers(buffer: bc.Buffer, types: np.ndarray, values: np.ndarray, dtype: type) -> np.ndarray:
    """The numeric values (BSON double, int32 or int64) as `dtype`, as Python's float() or int() gives them."""
    out = np.zeros(len(types), dtype)
    for bson_type, view in ((bc.DOUBLE, buffer.f8), (bc.INT32, buffer.i4), (bc.INT64, buffer.i8)):
        at = types == bson_type
        if at.all():
            return view[values].astype(dtype)
        if at.any():
            out[at] = view[values[at]]
    return out


def _text(buffer: bc.Buffer, values: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """Non-empty, valid UTF-8 strings, as `validation._text` requires."""
    text, valid = bc.strings(buffer, values)
    return text, valid & (pc.binary_length(text).to_numpy(zero_copy_only=False) > 0)


def _optional_text(
    buffer: bc.Buffer, types: np.ndarray, values: np.ndarray, default: str
) -> tuple[pa.Array, np.ndarray]:
    """`_optional_text(doc, name) or default`: absent, null and empty strings take the default."""
    present = types == bc.STRING
    valid = np.ones(len(types), bool)
    text, valid[present] = bc.strings(buffer, values[present])
    fallback = pa.scalar(default.encode(), pa.binary())
    full = pc.replace_with_mask(pa.repeat(fallback, len(types)), pa.array(present), text)
    return pc.if_else(pc.equal(pc.binary_length(full), 0), fallback, full), valid


def _duplicated(owners: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Owners holding the same key twice (`owners` is sorted: the lines of an order are together)."""
    same_owner = owners[1:] == owners[:-1]
    if not (same_owner & (keys[1:] <= keys[:-1])).any():
        return owners[:0]  # keys rise within every owner: all distinct (the usual case for line numbers)
    low = keys.min()
    span = int(keys.max()) - int(low) + 1
    if span * (int(owners[-1]) + 1) >= 2**62:  # the pairs would not fit one int64: sort them as pairs
        order = np.lexsort((keys, owners))
        owners, keys = owners[order], keys[order]
        same = (owners[1:] == owners[:-1]) & (keys[1:] == keys[:-1])
        return np.unique(owners[1:][same])
    pairs = np.sort(owners.astype(np.int64) * span + (keys - low))
    return np.unique(pairs[1:][pairs[1:] == pairs[:-1]] // span)


def flatten_orders(
    batch: RawBatch,
    window: Window,
    references: ReferenceSets,
    customers: KnownCustomers,
    codec_options: CodecOptions,
) -> Batch:
    """Rows and rejects for one raw batch of order documents, exactly as `order_rows` decides."""
    raw, starts, sizes = batch.data, batch.starts, batch.sizes
    buf = bc.Buffer(raw)
    found = bc.locate(buf, starts, sizes, ORDER_FIELDS, MAX_FIELDS, raw)
    types, values = found.types, found.values
    ok = ~found.broken & fast_path_applies(codec_options)
    ok &= (types["_id"] == bc.STRING) & (types["customer_id"] == bc.STRING) & (types["store_id"] == bc.STRING)
    ok &= (types["ordered_at"] == bc.DATETIME) & (types["items"] == bc.ARRAY)
    ok &= np.isin(types["order_total"], NUMBER) & np.isin(types["status"], OPTIONAL_TEXT)
    ok &= np.isin(types["currency"], OPTIONAL_TEXT)
    rows = np.flatnonzero(ok)  # candidates for the fast path; `good` (one flag per candidate) narrows them
    at = {name: values[name][rows] for name in ORDER_FIELDS}
    kinds = {name: types[name][rows] for name in ORDER_FIELDS}

    # The window, compared in whole milliseconds (BSON's resolution) so nothing can overflow.
    start_us, end_us = ((t - UNIX_EPOCH) // _MICROSECOND for t in window)
    ordered_ms = buf.i8[at["ordered_at"]]
    good = (ordered_ms >= -(-start_us // 1000)) & (ordered_ms < -(-end_us // 1000))
    order_id, valid = _text(buf, at["_id"])
    good &= valid
    customer_id, valid = _text(buf, at["customer_id"])
    good &= valid
    store_id, valid = _text(buf, at["store_id"])
    good &= valid & pc.is_in(store_id, value_set=references.store_array).to_numpy(zero_copy_only=False)
    status, valid = _optional_text(buf, kinds["status"], at["status"], "placed")
    good &= valid
    currency, valid = _optional_text(buf, kinds["currency"], at["currency"], "USD")
    good &= valid
    order_total = _numbers(buf, kinds["order_total"], at["order_total"], np.float64)
    good &= np.isfinite(order_total)

    # Lines: every element a document with integer line number and quantity, a known product and a price.
    arrays = bc.elements(buf, at["items"], buf.i4[at["items"]].astype(np.int64), MAX_FAST_ITEMS)
    good &= ~arrays.broken & (arrays.counts >= 1) & (arrays.counts <= MAX_FAST_ITEMS)
    good[arrays.owners[arrays.types != bc.DOCUMENT]] = False
    is_doc = arrays.types == bc.DOCUMENT
    owners, positions = arrays.owners[is_doc], arrays.positions[is_doc]
    items = bc.locate(buf, arrays.values[is_doc], arrays.sizes[is_doc], ITEM_FIELDS, MAX_FIELDS, raw)
    item_types, item_values = items.types, items.values
    line_ok = ~items.broken & np.isin(item_types["line_number"], INTEGER) & np.isin(item_types["quantity"], INTEGER)
    line_ok &= (item_types["product_id"] == bc.STRING) & np.isin(item_types["unit_price"], NUMBER)
    line_number = _numbers(buf, item_types["line_number"], item_values["line_number"], np.int64)
    quantity = _numbers(buf, item_types["quantity"], item_values["quantity"], np.int64)
    unit_price = _numbers(buf, item_types["unit_price"], item_values["unit_price"], np.float64)
    line_ok &= (quantity > 0) & np.isfinite(unit_price) & (unit_price > 0)
    is_text = item_types["product_id"] == bc.STRING
    product_text, valid = _text(buf, item_values["product_id"][is_text])
    product_id = pc.replace_with_mask(pa.nulls(len(owners), pa.binary()), pa.array(is_text), product_text)
    line_ok[is_text] &= valid
    product = pc.index_in(product_id, value_set=references.product_array).to_numpy(zero_copy_only=False)
    line_ok &= ~np.isnan(product)  # unknown products (and non-text ids) come back as NaN
    good[owners[~line_ok]] = False
    good[_duplicated(owners, line_number)] = False
    good[_duplicated(owners, np.nan_to_num(product, nan=-1).astype(np.int64))] = False

    # Revenue and the order total with Python's float arithmetic, summed line by line in document order.
    revenue = python_round2(quantity.astype(np.float64) * unit_price)
    lines_total = np.zeros(len(rows))
    for position in range(min(int(positions.max()) + 1, MAX_FAST_ITEMS) if positions.size else 0):
        step = positions == position
        lines_total[owners[step]] += revenue[step]
    with np.errstate(invalid="ignore"):
        good &= ~(np.abs(order_total - lines_total) > 0.005 * arrays.counts + 1e-9)

    # Customers: one lookup for the batch, covering the documents the exact path will judge too.
    exact = np.ones(len(starts), bool)
    exact[rows[good]] = False
    documents = {int(i): _decode(raw, starts[i], sizes[i], codec_options) for i in np.flatnonzero(exact)}
    others = {d["customer_id"] for d in documents.values() if isinstance(d.get("customer_id"), str)}
    passed = np.flatnonzero(good)
    customer_known, known = customers.check(customer_id.take(pa.array(passed)), others)
    for i in rows[passed[~customer_known]]:
        documents[int(i)] = _decode(raw, starts[i], sizes[i], codec_options)
    good[passed[~customer_known]] = False

    keep = pa.array(good)
    order_ids = order_id.filter(keep)
    fast_orders = Columns(ORDERS, {
        "order_id": order_ids, "customer_id": customer_id.filter(keep), "store_id": store_id.filter(keep),
        "ordered_at": ordered_ms[good] * 1000, "status": status.filter(keep), "currency": currency.filter(keep),
        "order_total": order_total[good], "line_count": arrays.counts[good], "_source_id": order_ids,
    })  # fmt: skip
    line_keep = good[owners]
    line_owner = owners[line_keep]
    line_order_ids = order_id.take(pa.array(line_owner))
    fast_lines = Columns(ORDER_ITEMS, {
        "order_id": line_order_ids, "line_number": line_number[line_keep],
        "product_id": product_id.filter(pa.array(line_keep)), "quantity": quantity[line_keep],
        "unit_price": unit_price[line_keep], "line_revenue": revenue[line_keep],
        "ordered_at": ordered_ms[line_owner] * 1000, "_source_id": line_order_ids,
    })  # fmt: skip

    refs = References(references.products, references.stores, known)
    exact_orders: list[Row] = []
    exact_lines: list[Row] = []
    rejects: list[tuple[Document, str]] = []
    for i in sorted(documents):
        try:
            order, lines = order_rows(documents[i], window, refs)
        except Rejected as reason:
            rejects.append((documents[i], str(reason)))
            continue
        exact_orders.append(order)
        exact_lines.extend(lines)
    return Batch(
        Columns.concat([fast_orders, Columns.from_rows(ORDERS, exact_orders)]),
        Columns.concat([fast_lines, Columns.from_rows(ORDER_ITEMS, exact_lines)]),
        rejects,
        len(starts),
    )


def _decode(raw: bytes | memoryview, start: int, size: int, codec_options: CodecOptions) -> Document:
    return bson.decode(raw[int(start) : int(start) + int(size)], codec_options)
