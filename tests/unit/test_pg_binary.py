"""Binary COPY rows built column-wise: read back field by field, they are the columns given, in their order."""

from __future__ import annotations

import struct

import numpy as np
import pyarrow as pa
import pytest

from shopease_platform.etl import pg_binary
from shopease_platform.etl.pg_binary import Field, column_order, encode_rows

_PG_EPOCH_US = 946_684_800_000_000


def _numeric(raw: bytes) -> int:
    """Cents of a binary numeric with display scale 2."""
    ndigits, weight, sign, dscale = struct.unpack(">hhHh", raw[:8])
    digits = struct.unpack(f">{ndigits}h", raw[8:])
    value = sum(d * 10_000 ** (weight - k) * 100 for k, d in enumerate(digits) if weight - k >= 0)
    value += sum(d // 100 for k, d in enumerate(digits) if weight - k == -1)
    assert dscale == 2
    return -value if sign == 0x4000 else value


def _decode(data: bytes, fields: list[Field]) -> list[tuple]:
    """Parse COPY rows with no header, independently of the encoder: a field count, then length + bytes."""
    rows, position = [], 0
    while position < len(data):
        (count,) = struct.unpack_from(">h", data, position)
        position += 2
        assert count == len(fields)
        row = []
        for f in fields:
            (length,) = struct.unpack_from(">i", data, position)
            raw = data[position + 4 : position + 4 + length]
            position += 4 + length
            if f.kind == "int4":
                row.append(struct.unpack(">i", raw)[0])
            elif f.kind == "timestamptz":
                row.append(struct.unpack(">q", raw)[0] + _PG_EPOCH_US)
            elif f.kind == "numeric":
                row.append(_numeric(raw))
            else:
                row.append(raw)
        rows.append(tuple(row))
    return rows


def _fields(ids: list[bytes], statuses: list[bytes]) -> list[Field]:
    n = len(ids)
    return [
        Field("order_id", "text", pa.array(ids, pa.binary())),
        Field("ordered_at", "timestamptz", np.arange(n, dtype=np.int64) * 1_000_003 + 1_780_000_000_000_000),
        Field("status", "text", pa.array(statuses, pa.binary())),
        Field("order_total", "numeric", np.arange(n, dtype=np.int64) * 7_919_000_003 % 10**15 - 5000),
        Field("line_count", "int4", np.arange(n, dtype=np.int64) % 11 - 3),
    ]


def _expected(fields: list[Field]) -> list[tuple]:
    ordered = column_order(fields)
    columns = [f.values.to_pylist() if isinstance(f.values, pa.Array) else f.values.tolist() for f in ordered]
    return list(zip(*columns, strict=True))


CASES = {
    "one layout": ([b"O-%05d" % i for i in range(500)], [b"placed"] * 500),
    "two layouts interleaved": ([(b"O-%03d" if i % 3 else b"O-%04d") % i for i in range(500)], [b"placed"] * 500),
    "empty texts among others": (
        [b"O-%05d" % i for i in range(300)],
        [b"" if i % 3 else b"shipped" for i in range(300)],
    ),
    "more layouts than grouped": ([b"x" * (i % 40) for i in range(400)], [b"s" * (i % 3) for i in range(400)]),
    "one row": ([b"O-1"], [b"placed"]),
}


@pytest.mark.parametrize("case", CASES)
def test_rows_read_back_as_the_columns_in_their_order(case: str) -> None:
    ids, statuses = CASES[case]
    fields = _fields(ids, statuses)
    encoded = encode_rows(fields, len(ids)).to_pybytes()
    assert _decode(encoded, column_order(fields)) == _expected(fields)


def test_grouped_layouts_and_the_joined_path_write_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = CASES["two layouts interleaved"][0]
    fields = _fields(ids, [b"placed" if i % 5 else b"cancelled" for i in range(len(ids))])
    grouped = encode_rows(fields, len(ids)).to_pybytes()
    monkeypatch.setattr(pg_binary, "MAX_LAYOUTS", 1)
    assert encode_rows(fields, len(ids)).to_pybytes() == grouped


def test_sliced_text_columns_are_read_from_their_offset() -> None:
    ids = pa.array([b"skip", b"O-1", b"O-22", b"O-333"], pa.binary()).slice(1)
    fields = [Field("order_id", "text", ids), Field("line_count", "int4", np.array([1, 2, 3]))]
    assert _decode(encode_rows(fields, 3).to_pybytes(), column_order(fields)) == [
        (1, b"O-1"),
        (2, b"O-22"),
        (3, b"O-333"),
    ]


def test_no_rows_is_no_bytes_and_nulls_are_refused() -> None:
    assert encode_rows(_fields([], []), 0).to_pybytes() == b""
    with pytest.raises(ValueError, match="order_id holds nulls"):
        encode_rows([Field("order_id", "text", pa.array([b"a", None], pa.binary()))], 2)


def test_rows_without_text_fields() -> None:
    fields = [Field("line_number", "int4", np.array([1, 2, 3])), Field("price", "numeric", np.array([-1, 0, 199]))]
    assert _decode(encode_rows(fields, 3).to_pybytes(), column_order(fields)) == [(1, -1), (2, 0), (3, 199)]
