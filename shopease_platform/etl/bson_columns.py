"""Read fields out of raw BSON documents column-wise, many documents at a time, with numpy.

Decoding a document into a Python dict costs microseconds a field, and so does pymongoarrow's builder; the
loader reads hundreds of thousands of documents a window. Here every document of a batch is walked in
lockstep instead: step k reads the k-th element of all documents at once (type byte, key, value offset, value
size), so the cost is a few numpy operations a step, whatever the batch size. Values are gathered through
unaligned views of the buffer (`Buffer.i4[offsets]` is the int32 at each byte offset), one gather a column.

The walk is exact about what it finds and conservative about what it does not understand: a document whose
layout it cannot follow (an unusual element type, a length that runs past its document, too many elements,
a wanted field given twice) is marked `broken`, and the caller reads that one document the ordinary way.
Values are never coerced: callers get each wanted field's BSON type and decide.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

# BSON element types (bsonspec.org) the loader looks at.
DOUBLE = 0x01
STRING = 0x02
DOCUMENT = 0x03
ARRAY = 0x04
DATETIME = 0x09
NULL = 0x0A
INT32 = 0x10
INT64 = 0x12
ABSENT = 0  # not a BSON type: the field is not in the document

# Size of each element type's value: fixed, or the little-endian int32 at the value's start plus an extra.
_FIXED = np.full(256, -1, np.int64)
for _type, _size in {0x01: 8, 0x06: 0, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16,
                     0x7F: 0, 0xFF: 0}.items():  # fmt: skip
    _FIXED[_type] = _size
_PREFIXED = np.full(256, -1, np.int64)
for _type, _extra in {0x02: 4, 0x0D: 4, 0x0E: 4, 0x03: 0, 0x04: 0, 0x0F: 0, 0x05: 5, 0x0C: 16}.items():
    _PREFIXED[_type] = _extra
_MIN_PREFIX = np.zeros(256, np.int64)  # smallest legal length prefix: strings hold their NUL, documents 5 bytes
_MIN_PREFIX[[0x02, 0x0D, 0x0E, 0x0C]] = 1
_MIN_PREFIX[[0x03, 0x04, 0x0F]] = 5

PADDING = 32  # zero bytes after the data, so word-sized reads near the end stay inside the buffer
KEY_BYTES = 16  # keys (with their NUL) are compared as two 64-bit words; longer keys never match a wanted one
_ONES = np.uint64(0x0101010101010101)
_HIGHS = np.uint64(0x8080808080808080)
# _MASKS[n] keeps the first n bytes of a 16-byte key window, as its two little-endian words.
_MASKS = np.zeros((KEY_BYTES + 2, 2), np.uint64)
for _n in range(KEY_BYTES + 1):
    _MASKS[_n] = np.frombuffer(b"\xff" * _n + b"\0" * (KEY_BYTES - _n), "<u8")
_HASH = np.uint64(0x9E3779B97F4A7C15)


class Buffer:
    """A raw batch as bytes, with unaligned views for gathering values at arbitrary byte offsets."""

    def __init__(self, data: bytes | memoryview) -> None:
        self.length = len(data)
        self.bytes = np.zeros(self.length + PADDING, np.uint8)
        self.bytes[: self.length] = np.frombuffer(data, np.uint8)
        self.i4 = self._view("<i4")
        self.i8 = self._view("<i8")
        self.f8 = self._view("<f8")
        self.u8 = self._view("<u8")

    def _view(self, dtype: str) -> np.ndarray:
        width = np.dtype(dtype).itemsize
        return np.ndarray((len(self.bytes) - width + 1,), dtype, self.bytes, 0, (1,))


_SIZE = struct.Struct("<i")


def _first_zero_byte(words: np.ndarray) -> np.ndarray:
    """Index (0-7) of the first zero byte of each little-endian word, 8 when it has none."""
    flags = (words - _ONES) & ~words & _HIGHS  # the lowest flag is exact; borrows only spoil higher ones
    lowest = np.where(flags == 0, np.uint64(1) << np.uint64(63), flags & (~flags + np.uint64(1)))
    bit = np.log2(lowest.astype(np.float64)).astype(np.int64)  # exact: a power of two
    return np.where(flags == 0, 8, bit // 8)


def key_words(key: str) -> tuple[int, int]:
    """A field name and its NUL as two little-endian words, as `walk` masks keys."""
    raw = key.encode()
    if len(raw) >= KEY_BYTES:
        raise ValueError(f"field names of up to {KEY_BYTES - 1} bytes can be looked for: {key!r}")
    first, second = np.frombuffer(raw.ljust(KEY_BYTES, b"\0"), "<u8")
    return int(first), int(second)


class KeySet:
    """Exact lookup of keys among a few wanted names, by a 64-bit hash of their words and a full compare."""

    def __init__(self, names: Sequence[str]) -> None:
        words = np.array([key_words(n) for n in names], np.uint64).reshape(-1, 2)
        hashes = words[:, 0] ^ (words[:, 1] * _HASH)
        self.order = np.argsort(hashes)
        self.hashes = hashes[self.order]
        self.words = words[self.order]

    def find(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Index of each key in the wanted names, or -1."""
        hashes = first ^ (second * _HASH)
        slot = np.minimum(np.searchsorted(self.hashes, hashes), len(self.hashes) - 1)
        same = (self.words[slot, 0] == first) & (self.words[slot, 1] == second)
        return np.where(same, self.order[slot], -1)


@dataclass
class Step:
    """One element of each document still being walked."""

    rows: np.ndarray  # which documents (indexes into the walked set)
    types: np.ndarray  # uint8 BSON type of the element
    first: np.ndarray  # the key and its NUL as two masked words; zero words when the key is 16 bytes or more
    second: np.ndarray
    values: np.ndarray  # offset of the element's value in the buffer
    sizes: np.ndarray  # size of the value, or -1 when the walk cannot size it


def walk(buffer: Buffer, starts: np.ndarray, sizes: np.ndarray, broken: np.ndarray, limit: int) -> Iterator[Step]:
    """Yield the elements of the documents at `starts` step by step; marks documents it cannot follow as broken.

    `broken` (one flag per document) is updated in place; a broken document yields no further steps, and so
    is a document with more than `limit` elements (one huge document must not cost a step per element for
    the whole batch).
    """
    data = buffer.bytes
    stops = starts + sizes - 1  # the terminating NUL of each document
    broken |= (sizes < 5) | (data[np.minimum(stops, buffer.length)] != 0)
    positions = starts + 4
    live = np.flatnonzero(~broken & (positions < stops))
    for _ in range(limit):
        if not live.size:
            return
        at = positions[live]
        types = data[at]
        first, second = buffer.u8[at + 1], buffer.u8[at + 9]
        zero = _first_zero_byte(first)
        zero = np.where(zero < 8, zero, 8 + _first_zero_byte(second))
        key_lengths = zero.copy()
        for i in np.flatnonzero(zero >= KEY_BYTES):  # a long key: find its end directly
            rest = np.flatnonzero(data[at[i] + 1 : stops[live[i]]] == 0)
            key_lengths[i] = rest[0] if rest.size else -1
        masks = _MASKS[np.minimum(zero + 1, KEY_BYTES + 1)]
        first, second = first & masks[:, 0], second & masks[:, 1]
        values = at + 2 + key_lengths
        prefix = buffer.i4[np.minimum(values, buffer.length)].astype(np.int64)
        fixed, extra = _FIXED[types], _PREFIXED[types]
        value_sizes = np.where(fixed >= 0, fixed, np.where(extra >= 0, prefix + extra, -1))
        value_sizes[((extra >= 0) & (prefix < _MIN_PREFIX[types])) | (key_lengths < 0)] = -1
        yield Step(live, types, first, second, values, value_sizes)
        ends = values + value_sizes
        good = (value_sizes >= 0) & (ends <= stops[live])
        broken[live[~good]] = True
        positions[live] = ends
        live = live[good & (ends < stops[live])]
    broken[live] = True


@dataclass
class Fields:
    """Where each wanted field's value is in each document, and its BSON type (`ABSENT` when missing)."""

    types: dict[str, np.ndarray]
    values: dict[str, np.ndarray]
    broken: np.ndarray


@dataclass(frozen=True)
class _Element:
    type: int
    key: bytes
    field: int  # index among the wanted names, or -1


def _layout(data: bytes | memoryview, start: int, size: int, wanted: Sequence[str]) -> list[_Element] | None:
    """The (type, key) sequence of one document, when every element has a size `walk` can compute."""
    layout: list[_Element] = []
    position, stop = start + 4, start + size - 1
    names = {name.encode(): i for i, name in enumerate(wanted)}
    while position < stop:
        kind = data[position]
        key_end = bytes(data[position + 1 : stop]).find(b"\0")
        if key_end < 0 or key_end + 1 >= KEY_BYTES:
            return None
        key = bytes(data[position + 1 : position + 1 + key_end])
        value = position + 2 + key_end
        if value + 4 > stop:
            return None
        if _FIXED[kind] >= 0:
            position = value + int(_FIXED[kind])
        elif _PREFIXED[kind] >= 0:
            position = value + _SIZE.unpack_from(data, value)[0] + int(_PREFIXED[kind])
        else:
            return None
        layout.append(_Element(kind, key, names.get(key, -1)))
    fields = [e.field for e in layout if e.field >= 0]
    return layout if position == stop and len(fields) == len(set(fields)) else None


def _match(buffer: Buffer, starts: np.ndarray, sizes: np.ndarray, layout: list[_Element]) -> tuple[np.ndarray, ...]:
    """Which documents have exactly `layout`, and for those the value offset of each of its elements."""
    stops = starts + sizes - 1
    ok = np.ones(len(starts), bool)
    positions = starts + 4
    values = np.zeros((len(layout), len(starts)), np.int64)
    for e, element in enumerate(layout):
        ok &= buffer.bytes[positions] == element.type
        first, second = np.frombuffer((element.key + b"\0").ljust(KEY_BYTES, b"\0"), "<u8")
        mask_first, mask_second = _MASKS[len(element.key) + 1]
        ok &= (buffer.u8[positions + 1] & mask_first) == first
        if mask_second:
            ok &= (buffer.u8[positions + 9] & mask_second) == second
        value = positions + 2 + len(element.key)
        values[e] = value
        if _FIXED[element.type] >= 0:
            ends = value + _FIXED[element.type]
        else:
            prefix = buffer.i4[value].astype(np.int64)
            ok &= prefix >= _MIN_PREFIX[element.type]
            ends = value + prefix + _PREFIXED[element.type]
        ok &= ends <= stops
        positions = np.clip(ends, value, stops)  # a document that failed keeps being read inside itself
    return ok & (positions == stops), values


def locate(
    buffer: Buffer,
    starts: np.ndarray,
    sizes: np.ndarray,
    wanted: Sequence[str],
    limit: int,
    data: bytes | memoryview,
    templates: int = 3,
) -> Fields:
    """Find the wanted top-level fields of each document; a field present twice marks the document broken.

    Documents of a batch nearly always share a layout (the same keys and types in the same order): up to
    `templates` layouts, each taken from the first document not matched yet, are checked against all
    documents at once, a handful of operations an element; the rest are walked element by element.
    """
    count = len(starts)
    broken = np.zeros(count, bool)
    types = np.zeros((count, len(wanted)), np.uint8)
    values = np.zeros((count, len(wanted)), np.int64)
    pending = np.arange(count)
    odd: list[int] = []  # documents whose own layout cannot serve as a template
    for _ in range(templates):
        if not pending.size:
            break
        layout = _layout(data, int(starts[pending[0]]), int(sizes[pending[0]]), wanted)
        if layout is None:
            odd.append(int(pending[0]))
            pending = pending[1:]
            continue
        matched, offsets = _match(buffer, starts[pending], sizes[pending], layout)
        rows = pending[matched]
        for e, element in enumerate(layout):
            if element.field >= 0:
                types[rows, element.field] = element.type
                values[rows, element.field] = offsets[e][matched]
        pending = pending[~matched]
    pending = np.concatenate([np.array(odd, np.int64), pending])
    if pending.size:
        keys = KeySet(wanted)
        rest = np.zeros(pending.size, bool)
        for step in walk(buffer, starts[pending], sizes[pending], rest, limit):
            field = keys.find(step.first, step.second)
            hit = field >= 0
            rows, field = pending[step.rows[hit]], field[hit]
            broken[rows[types[rows, field] != ABSENT]] = True
            types[rows, field] = step.types[hit]
            values[rows, field] = step.values[hit]
        broken[pending[rest]] = True
    return Fields(
        {name: types[:, i] for i, name in enumerate(wanted)},
        {name: values[:, i] for i, name in enumerate(wanted)},
        broken,
    )


@dataclass
class Elements:
    """The elements of arrays: which array each belongs to, its position in it, BSON type and value."""

    owners: np.ndarray
    positions: np.ndarray
    types: np.ndarray
    values: np.ndarray
    sizes: np.ndarray
    counts: np.ndarray  # elements per array
    broken: np.ndarray  # per array


def elements(buffer: Buffer, starts: np.ndarray, sizes: np.ndarray, limit: int) -> Elements:
    """The elements of the arrays at `starts`, in order.

    Array keys are "0", "1", ... as every driver writes them; an array keyed otherwise, holding an element
    whose size cannot be computed, or longer than `limit`, is marked broken (decoders ignore array keys, so
    such an array is still a valid list: the caller reads its document the ordinary way).
    """
    count = len(starts)
    stops = starts + sizes - 1
    broken = (sizes < 5) | (buffer.bytes[np.minimum(stops, buffer.length)] != 0)
    counts = np.zeros(count, np.int64)
    positions = starts + 4
    live = np.flatnonzero(~broken & (positions < stops))
    parts: list[tuple[np.ndarray, ...]] = []
    for index in range(limit):
        if not live.size:
            break
        at = positions[live]
        key = str(index).encode()
        first = np.frombuffer((key + b"\0").ljust(KEY_BYTES, b"\0"), "<u8")[0]
        ok = (buffer.u8[at + 1] & _MASKS[len(key) + 1, 0]) == first
        types = buffer.bytes[at]
        values = at + 2 + len(key)
        prefix = buffer.i4[values].astype(np.int64)
        fixed, extra = _FIXED[types], _PREFIXED[types]
        value_sizes = np.where(fixed >= 0, fixed, np.where(extra >= 0, prefix + extra, -1))
        ok &= (value_sizes >= 0) & ~((extra >= 0) & (prefix < _MIN_PREFIX[types]))
        ends = values + value_sizes
        ok &= ends <= stops[live]
        broken[live[~ok]] = True
        live, at, types, values, value_sizes, ends = (a[ok] for a in (live, at, types, values, value_sizes, ends))
        parts.append((live, np.full(live.size, index), types, values, value_sizes))
        counts[live] += 1
        positions[live] = ends
        live = live[ends < stops[live]]
    broken[live] = True
    if not parts:
        empty = np.zeros(0, np.int64)
        return Elements(empty, empty, np.zeros(0, np.uint8), empty, empty, counts, broken)
    owners, indexes, types, values, value_sizes = (np.concatenate(column) for column in zip(*parts, strict=True))
    order = np.argsort(owners, kind="stable")  # elements of one array together, in array order
    return Elements(owners[order], indexes[order], types[order], values[order], value_sizes[order], counts, broken)


def strings(buffer: Buffer, values: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """The BSON strings whose values start at `values`, as an Arrow binary array (UTF-8 bytes, no NUL).

    Also returns a flag per string: False when its bytes are not valid UTF-8 or it lacks its terminating NUL.
    """
    lengths = np.maximum(buffer.i4[values].astype(np.int64) - 1, 0)
    ok = buffer.bytes[np.minimum(values + 4 + lengths, buffer.length)] == 0
    offsets = np.zeros(len(values) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    data = buffer.bytes[np.repeat(values + 4 - offsets[:-1], lengths) + np.arange(total)]
    if total and data.max() >= 0x80:  # plain ASCII is valid UTF-8; anything else is checked string by string
        owners = np.repeat(np.arange(len(values)), lengths)
        for i in np.unique(owners[data >= 0x80]):
            try:
                data[offsets[i] : offsets[i + 1]].tobytes().decode("utf-8")
            except UnicodeDecodeError:
                ok[i] = False
    array = pa.Array.from_buffers(
        pa.binary(), len(values), [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)]
    )
    return array, ok
