"""Splitting a cursor reply's batch into its documents, without decoding them."""

from __future__ import annotations

import struct

import bson
import pytest

from shopease_platform.etl import raw_cursor
from shopease_platform.etl.raw_cursor import split_array

DOCS = [{"_id": f"O-{i}", "n": i, "pad": "x" * (i % 17)} for i in range(1234)]  # keys of 1 to 4 digits


def _documents(data: bytes, batch: raw_cursor.RawBatch) -> list[dict]:
    return [bson.decode(data[s : s + n]) for s, n in zip(batch.starts.tolist(), batch.sizes.tolist(), strict=True)]


def _array(elements: list[tuple[bytes, bytes]]) -> bytes:
    """A BSON array of (key, encoded document) pairs, inside a one-field document as a reply holds it."""
    body = b"".join(b"\x03" + key + b"\0" + doc for key, doc in elements)
    array = struct.pack("<i", len(body) + 5) + body + b"\0"
    outer = b"\x04batch\0" + array
    return struct.pack("<i", len(outer) + 5) + outer + b"\0"


ARRAY_AT = 4 + 1 + len(b"batch\0")


def test_a_server_batch_splits_into_its_documents_on_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    data = bson.encode({"batch": DOCS})
    monkeypatch.setattr(raw_cursor, "_split_any_array", lambda *_: pytest.fail("took the element-by-element path"))
    assert _documents(data, split_array(data, ARRAY_AT)) == DOCS


def test_keys_other_than_indexes_are_read_element_by_element() -> None:
    encoded = [bson.encode(d) for d in DOCS[:30]]
    for keys in ([b"x%d" % i for i in range(30)], [b"%d" % (i + 1) for i in range(30)], [b"0"] * 30):
        data = _array(list(zip(keys, encoded, strict=True)))
        assert _documents(data, split_array(data, ARRAY_AT)) == DOCS[:30]


def test_an_empty_batch_has_no_documents() -> None:
    data = bson.encode({"batch": []})
    assert len(split_array(data, ARRAY_AT)) == 0


@pytest.mark.parametrize(
    ("size", "message"),
    [(3, "document of 3 bytes"), (10_000, "runs past its array")],
)
def test_a_document_size_that_cannot_be_right_is_an_error(size: int, message: str) -> None:
    good = bson.encode({"a": 1})
    bad = struct.pack("<i", size) + good[4:]
    data = _array([(b"0", good), (b"1", bad), (b"2", good)])
    with pytest.raises(ValueError, match=message):
        split_array(data, ARRAY_AT)
