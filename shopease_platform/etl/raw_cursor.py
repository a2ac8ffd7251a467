"""A query's results as raw BSON batches, one buffer a server batch, with each document's offset and size.

`Collection.find_raw_batches` builds a `RawBSONDocument` for every document of a reply before joining them
back into one buffer: about as much client CPU as the rest of the loader spends on those documents. Here the
`find` and `getMore` commands are run directly and each reply is kept as bytes; the documents are located in
its `firstBatch`/`nextBatch` array with one struct read each. A read preference other than primary needs
every `getMore` to reach the server that holds the cursor, which pymongo's cursor guarantees: it is used then.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import numpy as np
from bson.codec_options import CodecOptions
from bson.int64 import Int64
from bson.raw_bson import RawBSONDocument
from bson.son import SON
from pymongo import ReadPreference
from pymongo.collection import Collection
from pymongo.errors import PyMongoError

_RAW = CodecOptions(document_class=RawBSONDocument)
_INT32 = struct.Struct("<i")
_INT64 = struct.Struct("<q")
_POWERS_OF_TEN = 10 ** np.arange(1, 19)


@dataclass
class RawBatch:
    """Documents as they came from the server: `data[starts[i] : starts[i] + sizes[i]]` is document i."""

    data: bytes | memoryview
    starts: np.ndarray
    sizes: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)


def split_stream(data: bytes | memoryview) -> RawBatch:
    """Documents concatenated back to back (what `find_raw_batches` yields)."""
    unpack = _INT32.unpack_from
    starts: list[int] = []
    position, length = 0, len(data)
    while position < length:
        starts.append(position)
        (size,) = unpack(data, position)
        if size < 5:
            raise ValueError(f"malformed BSON: document of {size} bytes at offset {position}")
        position += size
    if position != length:
        raise ValueError("malformed BSON: the last document runs past the end of the batch")
    offsets = np.array(starts, np.int64)
    return RawBatch(data, offsets, np.diff(offsets, append=length))


def split_array(data: bytes | memoryview, start: int) -> RawBatch:
    """The documents of the BSON array (of documents) at `data[start:]`, as the server sends a batch."""
    (length,) = _INT32.unpack_from(data, start)
    stop = start + length - 1
    batch = _split_keyed_array(data, start, stop)
    return batch if batch is not None else _split_any_array(data, start, stop)


def _split_keyed_array(data: bytes | memoryview, start: int, stop: int) -> RawBatch | None:
    """The fast path: elements keyed "0", "1", ... as the server writes them, so each key's width is known.

    Only the document sizes are read one by one (each locates the next); types and keys are then checked for
    all elements at once. None when anything differs, for `_split_any_array` to read element by element.
    """
    unpack = _INT32.unpack_from
    starts: list[int] = []
    sizes: list[int] = []
    position, index, width = start + 4, 0, 1
    while position < stop:
        for _ in range(10**width - index):  # the indexes whose keys have `width` digits
            document = position + width + 2  # type byte, key, NUL
            if document + 4 > stop:
                return None
            (size,) = unpack(data, document)
            if size < 5:
                return None
            starts.append(document)
            sizes.append(size)
            position = document + size
            if position >= stop:
                break
        index, width = 10**width, width + 1
    found = np.array(starts, np.int64)
    if position != stop or not _keys_are_indexes(np.frombuffer(data, np.uint8), found):
        return None
    return RawBatch(data, found, np.array(sizes, np.int64))


def _keys_are_indexes(data: np.ndarray, starts: np.ndarray) -> bool:
    """Is each document preceded by the document type byte, its index as a decimal key, and a NUL?"""
    indexes = np.arange(len(starts))
    widths = np.searchsorted(_POWERS_OF_TEN, indexes, side="right") + 1
    if not (data[starts - 1] == 0).all() or not (data[starts - widths - 2] == 0x03).all():
        return False
    for digit in range(int(widths.max(initial=0))):  # digit 0 is the last one, just before the NUL
        has = widths > digit
        expected = (indexes[has] // 10**digit) % 10 + ord("0")
        if not (data[starts[has] - 2 - digit] == expected).all():
            return False
    return True


def _split_any_array(data: bytes | memoryview, start: int, stop: int) -> RawBatch:
    """Element by element, whatever the keys (decoders ignore them)."""
    raw = bytes(data)
    unpack = _INT32.unpack_from
    starts: list[int] = []
    sizes: list[int] = []
    position = start + 4
    while position < stop:
        if raw[position] != 0x03:
            raise ValueError(f"a cursor batch holds a non-document element at offset {position}")
        key_end = raw.index(b"\0", position + 1, stop)
        (size,) = unpack(raw, key_end + 1)
        if size < 5:
            raise ValueError(f"malformed BSON: document of {size} bytes at offset {key_end + 1}")
        starts.append(key_end + 1)
        sizes.append(size)
        position = key_end + 1 + size
    if position != stop:
        raise ValueError("malformed BSON: a cursor batch runs past its array")
    return RawBatch(data, np.array(starts, np.int64), np.array(sizes, np.int64))


def _elements(data: bytes | memoryview, start: int) -> Iterator[tuple[int, bytes, int]]:
    """(type, key, value offset) of each element of the document at `data[start:]`; sizes only as needed here."""
    (length,) = _INT32.unpack_from(data, start)
    position, stop = start + 4, start + length - 1
    while position < stop:
        kind = data[position]
        key_end = bytes(data[position + 1 : position + 256]).index(b"\0") + position + 1
        value = key_end + 1
        yield kind, bytes(data[position + 1 : key_end]), value
        if kind in (0x03, 0x04):
            position = value + _INT32.unpack_from(data, value)[0]
        elif kind == 0x02:
            position = value + 4 + _INT32.unpack_from(data, value)[0]
        elif kind in (0x12, 0x11, 0x09, 0x01):
            position = value + 8
        elif kind == 0x10:
            position = value + 4
        elif kind == 0x08:
            position = value + 1
        elif kind == 0x0A:
            position = value
        else:
            return  # nothing the cursor reply needs comes after an element of another type


def _cursor_reply(reply: RawBSONDocument) -> tuple[RawBatch, int]:
    """The batch and the cursor id of a `find` or `getMore` reply, read straight from its bytes."""
    data = reply.raw
    for kind, key, value in _elements(data, 0):
        if key == b"cursor" and kind == 0x03:
            batch, cursor_id = None, 0
            for inner_kind, inner_key, inner_value in _elements(data, value):
                if inner_key in (b"firstBatch", b"nextBatch") and inner_kind == 0x04:
                    batch = split_array(data, inner_value)
                elif inner_key == b"id" and inner_kind == 0x12:
                    (cursor_id,) = _INT64.unpack_from(data, inner_value)
            if batch is None:
                raise ValueError("a cursor reply without its batch")
            return batch, cursor_id
    raise ValueError("a cursor reply without its cursor")


def raw_batches(collection: Collection, query: Mapping[str, Any], batch_size: int) -> Iterator[RawBatch]:
    """The documents matching `query`, `batch_size` at a time (the server may send fewer when they are large)."""
    if collection.read_preference != ReadPreference.PRIMARY:
        with collection.find_raw_batches(query, batch_size=batch_size) as cursor:
            for data in cursor:
                yield split_stream(data)
        return
    db = collection.database
    find = SON([("find", collection.name), ("filter", query), ("batchSize", batch_size)])
    if collection.read_concern.document:
        find["readConcern"] = collection.read_concern.document
    with db.client.start_session(causal_consistency=False) as session:
        batch, cursor_id = _cursor_reply(db.command(find, session=session, codec_options=_RAW))
        try:
            while True:
                if len(batch):
                    yield batch
                if not cursor_id:
                    return
                more = SON([("getMore", Int64(cursor_id)), ("collection", collection.name), ("batchSize", batch_size)])
                batch, cursor_id = _cursor_reply(db.command(more, session=session, codec_options=_RAW))
        finally:
            if cursor_id:
                with suppress(PyMongoError):  # the server drops idle cursors itself
                    db.command("killCursors", collection.name, cursors=[Int64(cursor_id)], session=session)
