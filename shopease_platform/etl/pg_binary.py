"""PostgreSQL binary COPY rows built column-wise, and money converted exactly as the database would.

A binary COPY row is a field count, then each field as a big-endian int32 length and its bytes. The fixed-width
fields of every row are laid out at once in a numpy structured array; the text fields are spliced in with one
Arrow element-wise join, so a batch of rows costs a handful of vectorised operations, not a Python call a row.

Money arrives as float (MongoDB doubles). Earlier loaders staged it as float8 and let PostgreSQL cast it:
`float8 -> numeric` prints the double with 15 significant digits, then `numeric(p,2)` rounds half away from
zero. `numeric_cents` reproduces that exactly (vectorised where the answer is clear, with `decimal` for the
rare values within rounding distance of a half cent), and sends the cents as binary `numeric`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
TRAILER = b"\xff\xff"
_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in microseconds since 1970-01-01
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INT4 = (-(2**31), 2**31 - 1)
_NUMERIC_DIGITS = 5  # base-10000 digits sent: four for the integer part (< 10**16), one for the cents
_CENT = Decimal("0.01")
MAX_LAYOUTS = 8  # row layouts (text lengths) a batch is built in, group by group; beyond: one Arrow join


def _unsure(scaled: np.ndarray) -> np.ndarray:
    """Where rounding `scaled` (a value times 100) to an integer could depend on digits a double cannot show.

    That is within a relative 1e-12 of a half (float error is ~1e-16, the 15-digit printing ~5e-15), or too
    large or not finite. Everywhere else `np.rint` gives the one right answer.
    """
    magnitude = np.abs(scaled)
    with np.errstate(invalid="ignore"):
        half_distance = np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5)
        return ~(magnitude < 1e15) | (half_distance < np.maximum(1e-6, magnitude * 1e-12))


def python_round2(values: np.ndarray) -> np.ndarray:
    """`round(value, 2)` of each float, bit for bit as Python computes it."""
    scaled = values * 100.0
    with np.errstate(invalid="ignore"):
        result = np.rint(scaled) / 100.0
    for i in np.flatnonzero(_unsure(scaled)):
        result[i] = round(float(values[i]), 2)
    return result


def numeric_cents(values: np.ndarray) -> np.ndarray:
    """The cents PostgreSQL stores for `value::float8::numeric(p,2)`, as int64."""
    scaled = values * 100.0
    with np.errstate(invalid="ignore"):
        cents = np.rint(scaled)
    for i in np.flatnonzero(_unsure(scaled)):
        value = float(values[i])
        if not np.isfinite(value) or abs(value) >= 1e15:
            raise ValueError(f"money value {value!r} does not fit numeric(14,2)")
        cents[i] = int(Decimal(f"{value:.15g}").quantize(_CENT, rounding=ROUND_HALF_UP).scaleb(2))
    return cents.astype(np.int64)


@dataclass(frozen=True)
class Field:
    """One column of a binary COPY: `kind` is int4, numeric (int64 cents), timestamptz (int64 Unix µs) or text."""

    name: str
    kind: str
    values: np.ndarray | pa.Array


# numeric on the wire: digit count, weight of the first base-10000 digit, sign, display scale, the digits.
_NUMERIC = np.dtype(
    [("ndigits", ">i2"), ("weight", ">i2"), ("sign", ">u2"), ("dscale", ">i2"), ("digits", ">i2", (_NUMERIC_DIGITS,))]
)
_FIXED_TYPES: dict[str, np.dtype] = {"int4": np.dtype(">i4"), "timestamptz": np.dtype(">i8"), "numeric": _NUMERIC}


def column_order(fields: Sequence[Field]) -> list[Field]:
    """Fixed-width fields first, then text: the order rows are encoded in (name it in the COPY column list)."""
    return [f for f in fields if f.kind != "text"] + [f for f in fields if f.kind == "text"]


def encode_rows(fields: Sequence[Field], count: int) -> pa.Buffer:
    """The rows (no header or trailer) of a binary COPY whose columns are `column_order(fields)`, in order.

    Rows whose text fields have the same lengths share one byte layout, so they are laid out as one numpy
    structured array, text included, with a strided copy a field. A batch of orders nearly always is one such
    group (ids of one width, the same status and currency) or a few; groups are built apart and their rows
    put back in order. Rows of more than `MAX_LAYOUTS` layouts are spliced by an Arrow element-wise join.
    """
    if count == 0:
        return pa.py_buffer(b"")
    ordered = column_order(fields)
    fixed = [f for f in ordered if f.kind != "text"]
    texts = [_text_array(f) for f in ordered if f.kind == "text"]
    offsets = [np.frombuffer(t.buffers()[1], np.int32, count + 1, 4 * t.offset).astype(np.int64) for t in texts]
    lengths = np.stack([np.diff(o) for o in offsets], axis=1) if texts else np.zeros((count, 0), np.int64)
    if (lengths == lengths[0]).all():
        return pa.py_buffer(_row_block(fixed, texts, offsets, lengths[0], None, count))
    layouts, group = np.unique(lengths, axis=0, return_inverse=True)
    if len(layouts) > MAX_LAYOUTS:
        return _joined_rows(fixed, texts, lengths)
    group = group.ravel()
    members = [np.flatnonzero(group == g) for g in range(len(layouts))]
    blocks = [_row_block(fixed, texts, offsets, w, rows, len(rows)) for w, rows in zip(layouts, members, strict=True)]
    sizes = np.array([b.itemsize for b in blocks], np.int64)[group]
    starts = np.cumsum(sizes) - sizes
    out = np.empty(int(sizes.sum()), np.uint8)
    for block, rows in zip(blocks, members, strict=True):
        out[starts[rows, None] + np.arange(block.itemsize)] = block.view(np.uint8).reshape(len(rows), -1)
    return pa.py_buffer(out)


def _text_array(field: Field) -> pa.Array:
    values = field.values if isinstance(field.values, pa.Array) else pa.array(field.values, pa.binary())
    if values.null_count:
        raise ValueError(f"{field.name} holds nulls, which the loader never sends")
    return values.cast(pa.binary())


def _fixed_layout(fixed: Sequence[Field]) -> list[tuple[str, str | np.dtype]]:
    """Field count, then a length and value for each fixed-width field."""
    layout: list[tuple[str, str | np.dtype]] = [("count", ">i2")]
    for i, f in enumerate(fixed):
        layout += [(f"len{i}", ">i4"), (f"val{i}", _FIXED_TYPES[f.kind])]
    return layout


def _fill_fixed(block: np.ndarray, fixed: Sequence[Field], fields: int, rows: np.ndarray | None) -> None:
    """The field count, and each fixed-width field's length and value for `rows` (None: every row)."""
    block["count"] = fields
    for i, f in enumerate(fixed):
        block[f"len{i}"] = _FIXED_TYPES[f.kind].itemsize
        _fill(block[f"val{i}"], f, rows)


def _row_block(
    fixed: Sequence[Field],
    texts: Sequence[pa.Array],
    offsets: Sequence[np.ndarray],
    widths: np.ndarray,
    rows: np.ndarray | None,
    count: int,
) -> np.ndarray:
    """The `count` COPY rows `rows` (None: all rows, in order), whose texts are `widths` bytes long.

    With all rows, each text column is one contiguous run of values, reshaped without a gather.
    """
    layout = _fixed_layout(fixed)
    for j, width in enumerate(widths):
        layout.append((f"text_len{j}", ">i4"))
        if width:
            layout.append((f"text{j}", f"V{width}"))
    block = np.empty(count, np.dtype(layout))  # every byte is written below
    _fill_fixed(block, fixed, len(fixed) + len(texts), rows)
    for j, (text, starts, width) in enumerate(zip(texts, offsets, widths, strict=True)):
        block[f"text_len{j}"] = width
        if not width:
            continue
        data = np.frombuffer(text.buffers()[2], np.uint8)
        if rows is None:  # every value is `width` bytes, back to back
            chars = data[starts[0] : starts[-1]].reshape(count, int(width))
        else:
            chars = data[starts[rows, None] + np.arange(width)]
        block[f"text{j}"] = chars.view(f"V{width}").ravel()
    return block


def _joined_rows(fixed: Sequence[Field], texts: Sequence[pa.Array], lengths: np.ndarray) -> pa.Buffer:
    """Rows of many layouts: the fixed-width part as one block, each text spliced in by an Arrow join.

    `lengths` holds each row's text lengths, one column a text.
    """
    count = len(lengths)
    block = np.zeros(count, np.dtype(_fixed_layout(fixed)))
    _fill_fixed(block, fixed, len(fixed) + len(texts), None)
    parts = [_binary_view(block.view(np.uint8), block.itemsize, count)]
    for j, values in enumerate(texts):
        prefixes = lengths[:, j].astype(">i4")
        parts += [_binary_view(prefixes.view(np.uint8), 4, count), values]
    rows = pc.binary_join_element_wise(*parts, b"")
    offsets = np.frombuffer(rows.buffers()[1], np.int32, count + 1, rows.offset * 4)
    return rows.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0]))


def _binary_view(data: np.ndarray, width: int, count: int) -> pa.Array:
    """`count` values of `width` bytes each, back to back in `data`, as an Arrow binary array (no copy)."""
    offsets = np.arange(0, (count + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.binary(), count, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _fill(target: np.ndarray, field: Field, rows: np.ndarray | None) -> None:
    values = np.asarray(field.values) if rows is None else np.asarray(field.values)[rows]
    if field.kind == "int4":
        if values.size and (values.min() < _INT4[0] or values.max() > _INT4[1]):
            raise ValueError(f"{field.name} holds a value outside the int4 range")
        target[...] = values
    elif field.kind == "timestamptz":
        target[...] = values.astype(np.int64) - _PG_EPOCH_US
    elif field.kind == "numeric":
        cents = values.astype(np.int64)
        magnitude = np.abs(cents)
        if magnitude.size and magnitude.max() >= 10**18:
            raise ValueError(f"{field.name} holds a value too large for numeric")
        whole, fraction = np.divmod(magnitude, 100)
        target["ndigits"] = _NUMERIC_DIGITS
        target["weight"] = _NUMERIC_DIGITS - 2  # the first digit counts 10000**3
        target["sign"] = np.where(cents < 0, 0x4000, 0)
        target["dscale"] = 2
        digits = target["digits"]
        for d in range(_NUMERIC_DIGITS - 2, -1, -1):
            whole, digits[:, d] = np.divmod(whole, 10_000)
        digits[:, _NUMERIC_DIGITS - 1] = fraction * 100
    else:
        raise ValueError(f"unknown binary COPY kind {field.kind!r}")
