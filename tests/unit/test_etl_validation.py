"""Validation and flattening of order documents: every malformed shape has its own reason, whichever path."""

from __future__ import annotations

import copy
import math
import random
import struct
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import bson
import numpy as np
import pytest
from bson import Decimal128, Int64, ObjectId
from bson.codec_options import CodecOptions

from shopease_platform.etl.order_batch import KnownCustomers, ReferenceSets, flatten_orders
from shopease_platform.etl.pg_binary import UNIX_EPOCH, numeric_cents, python_round2
from shopease_platform.etl.raw_cursor import split_stream
from shopease_platform.etl.validation import References, Rejected, Row, order_rows

T0 = datetime(2026, 5, 1, 9, tzinfo=UTC)
WINDOW = (T0, T0 + timedelta(hours=3))
REFS = References(frozenset({"P1", "P2"}), frozenset({"S000"}), frozenset({"C1"}))


def good() -> dict[str, Any]:
    return {
        "_id": "O-1",
        "customer_id": "C1",
        "store_id": "S000",
        "ordered_at": T0 + timedelta(minutes=5),
        "status": "placed",
        "currency": "USD",
        "items": [
            {"line_number": 1, "product_id": "P1", "quantity": 2, "unit_price": 9.99},
            {"line_number": 2, "product_id": "P2", "quantity": 1, "unit_price": 5.0},
        ],
        "order_total": 24.98,
    }


def test_good_order_flattens_into_one_order_and_its_lines() -> None:
    order, lines = order_rows(good(), WINDOW, REFS)
    assert order[:3] == ("O-1", "C1", "S000") and order[6:8] == (24.98, 2)
    assert [(line[1], line[2], line[3], line[5]) for line in lines] == [(1, "P1", 2, 19.98), (2, "P2", 1, 5.0)]


def _broken(path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(good())
    target: Any = doc
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is KeyError:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return doc


CASES = {
    "missing field customer_id": _broken("customer_id", KeyError),
    "customer_id is not a non-empty string": _broken("customer_id", 17),
    "ordered_at is a string, not a date": _broken("ordered_at", "2026-05-01T09:05:00+00:00"),
    "ordered_at is a naive timestamp": _broken("ordered_at", datetime(2026, 5, 1, 9, 5)),
    "ordered_at outside the window being loaded": _broken("ordered_at", T0 + timedelta(hours=4)),
    "items missing or empty": _broken("items", []),
    "quantity must be > 0": _broken("items.0.quantity", 0),
    "quantity is not an integer": _broken("items.0.quantity", 1.5),
    "unit_price must be > 0": _broken("items.0.unit_price", -3.0),
    "unit_price is not a number": _broken("items.0.unit_price", "9.99"),
    "duplicate line": _broken("items.1.product_id", "P1"),
    "unknown product_id": _broken("items.1.product_id", "P404"),
    "unknown customer_id": _broken("customer_id", "C404"),
    "unknown store_id": _broken("store_id", "S404"),
    "order_total does not match its lines": _broken("order_total", 99.0),
}


@pytest.mark.parametrize("reason", list(CASES))
def test_malformed_order_is_rejected_with_its_reason(reason: str) -> None:
    with pytest.raises(Rejected) as rejected:
        order_rows(CASES[reason], WINDOW, REFS)
    assert str(rejected.value) == reason


# --- the columnar path must decide and flatten exactly like order_rows ------------------------------------

PRODUCTS = frozenset({"P1", "P2", *(f"P{i:03d}" for i in range(80))})
STORES = frozenset({"S000", "S001"})
CUSTOMERS = frozenset({"C1", "C-é", *(f"C{i:02d}" for i in range(30))})
CODEC = CodecOptions(tz_aware=True)


def _raw(docs: list[Any]) -> bytes:
    return b"".join(doc if isinstance(doc, bytes) else bson.encode(doc) for doc in docs)


def _columnar(
    docs: list[Any], codec: CodecOptions = CODEC, known: frozenset[str] = CUSTOMERS
) -> tuple[list[Row], list[Row], list[tuple[Any, str]]]:
    batch = flatten_orders(
        split_stream(_raw(docs)),
        WINDOW,
        ReferenceSets(PRODUCTS, STORES),
        KnownCustomers(lambda ids: [i for i in ids if i in known]),
        codec,
    )
    return batch.orders.rows(), batch.lines.rows(), [(doc.get("_id"), reason) for doc, reason in batch.rejects]


def _row_by_row(
    docs: list[Any], codec: CodecOptions = CODEC, known: frozenset[str] = CUSTOMERS
) -> tuple[list[Row], list[Row], list[tuple[Any, str]]]:
    orders: list[Row] = []
    lines: list[Row] = []
    rejects: list[tuple[Any, str]] = []
    for doc in bson.decode_all(_raw(docs), codec):
        try:
            order, order_lines = order_rows(doc, WINDOW, References(PRODUCTS, STORES, known))
        except Rejected as reason:
            rejects.append((doc.get("_id"), str(reason)))
            continue
        orders.append(order)
        lines.extend(order_lines)
    return orders, lines, rejects


def _same(docs: list[Any], **kwargs: Any) -> tuple[list[Row], list[Row], list[tuple[Any, str]]]:
    fast = _columnar(docs, **kwargs)
    exact = _row_by_row(docs, **kwargs)
    key = repr  # ids may be of any type in malformed documents
    for got, want in zip(fast, exact, strict=True):
        assert sorted(got, key=key) == sorted(want, key=key)
    return fast


def test_every_case_is_judged_alike_by_the_columnar_path() -> None:
    docs = [dict(doc, _id=f"O-{n}") for n, doc in enumerate([good(), *CASES.values()])]
    naive = f"O-{list(CASES).index('ordered_at is a naive timestamp') + 1}"  # BSON dates are UTC: it reads back aware
    orders, lines, rejects = _same(docs)
    assert sorted(o[0] for o in orders) == ["O-0", naive] and len(lines) == 4
    reasons = dict(rejects)
    for n, reason in enumerate(CASES, start=1):
        if f"O-{n}" != naive:
            assert reasons[f"O-{n}"] == reason
    for doc in docs:  # and one document a batch
        _same([doc])


def _lines_total(items: list[dict[str, Any]]) -> float:
    return round(sum(round(i["quantity"] * i["unit_price"], 2) for i in items), 2)


def _random_order(rng: random.Random, n: int) -> dict[str, Any]:
    """A plausible order, then now and then one mutation of a field (malformed, odd or merely unusual)."""
    items = []
    for line in range(1, rng.choice([1, 1, 2, 3, 5, 8]) + 1):
        price = rng.choice([rng.randint(1, 99999) / 100, round(rng.uniform(0.01, 500), 3), rng.randint(1, 300)])
        product = rng.choice(sorted(PRODUCTS))
        items.append({"line_number": line, "product_id": product, "quantity": rng.randint(1, 7), "unit_price": price})
    doc: dict[str, Any] = {
        "_id": f"O-{n:06d}",
        "customer_id": rng.choice([*sorted(CUSTOMERS)[:5], "C-é", "C404"]),
        "store_id": rng.choice(["S000", "S001", "S000", "S404"]),
        "ordered_at": T0 + timedelta(milliseconds=rng.randint(0, 3 * 3600 * 1000 - 1)),
        "status": "placed",
        "currency": "USD",
        "items": items,
        "order_total": _lines_total(items),
    }
    item = rng.choice(items)
    line_values = {
        "quantity": [2.0, True, Int64(3), 0, -1, None, "2", 1.5],
        "line_number": [Int64(7), 1.0, False, None, items[0]["line_number"]],
        "unit_price": [Int64(5), 0, -2.5, math.nan, math.inf, "1.0", True, Decimal128("9.99"), 0.005, 2.675],
        "product_id": ["P404", "", 17, items[0]["product_id"], None],
    }
    order_values = {
        "customer_id": ["", None, 12, "C404"],
        "store_id": ["", ObjectId(), "S404"],
        "_id": ["", 42],
        "ordered_at": ["2026-05-01T09:05:00Z", T0 - timedelta(seconds=1), T0 + timedelta(hours=3), None, 17],
        "items": [[], {}, "x", None, [1, 2], [*items, "line"]],
        "order_total": [math.nan, math.inf, Int64(round(doc["order_total"])), "1", True, None],
        "status": [None, "", 3, "shipped"],
        "currency": [None, "", "EUR", 1],
    }
    roll = rng.random()
    if roll < 0.15:
        field_name = rng.choice(sorted(line_values))
        item[field_name] = rng.choice(line_values[field_name])
    elif roll < 0.2:
        del item[rng.choice(sorted(line_values))]
    elif roll < 0.35:
        field_name = rng.choice(sorted(order_values))
        doc[field_name] = rng.choice(order_values[field_name])
    elif roll < 0.4:
        del doc[rng.choice(sorted(order_values))]
    elif roll < 0.45:  # longer than the columnar path walks: judged row by row, and loaded
        doc["items"] = [dict(items[0], line_number=k + 1, product_id=f"P{k:03d}") for k in range(70)]
        doc["order_total"] = _lines_total(doc["items"])
    elif roll < 0.5:  # fields the loader does not read, long names, nested values, non-ASCII text
        item.update(note="é" * rng.randint(0, 3), details={"tags": ["a", 1]})
        doc.update(a_rather_long_field_name_here=1, coupon={"code": "X", "uses": [1, 2]})
    elif roll < 0.6:  # totals off by up to (or just over) the tolerance of half a cent a line
        doc["order_total"] += rng.choice([0.004, -0.004, 0.006]) * len(items)
    if rng.random() < 0.1:
        doc = dict(rng.sample(list(doc.items()), len(doc)))  # another field order
    return doc


def test_random_documents_flatten_exactly_like_order_rows() -> None:
    rng = random.Random(20261127)
    docs = [_random_order(rng, n) for n in range(3000)]
    for start, size in ((0, 1), (1, 7), (8, 500), (508, 2492)):
        orders, lines, rejects = _same(docs[start : start + size])
    assert orders and rejects and any(len([1 for line in lines if line[0] == o[0]]) == 70 for o in orders)


def _element(kind: int, key: bytes, value: bytes) -> bytes:
    return bytes([kind]) + key + b"\0" + value


def _document(*elements: bytes) -> bytes:
    body = b"".join(elements)
    return struct.pack("<i", len(body) + 5) + body + b"\0"


def _string(text: bytes) -> bytes:
    return struct.pack("<i", len(text) + 1) + text + b"\0"


def _crafted(order_id: str, items: bytes, **extra: bytes) -> bytes:
    """An order written byte by byte, to hold what Python dicts cannot (duplicate keys, odd array keys)."""
    elements = [
        _element(0x02, b"_id", _string(order_id.encode())),
        _element(0x02, b"customer_id", _string(b"C1")),
        _element(0x02, b"store_id", _string(b"S000")),
        _element(0x09, b"ordered_at", struct.pack("<q", int((T0 - UNIX_EPOCH).total_seconds() * 1000) + 5)),
        _element(0x04, b"items", items),
        _element(0x01, b"order_total", struct.pack("<d", 4.5)),
        *(_element(kind, key.encode(), value) for key, (kind, value) in ((k, (v[0], v[1:])) for k, v in extra.items())),
    ]
    return _document(*elements)


def _item(product: bytes = b"P1", *extra: bytes) -> bytes:
    return _document(
        _element(0x10, b"line_number", struct.pack("<i", 1)),
        _element(0x02, b"product_id", _string(product)),
        _element(0x10, b"quantity", struct.pack("<i", 3)),
        _element(0x01, b"unit_price", struct.pack("<d", 1.5)),
        *extra,
    )


def test_layouts_the_column_walk_does_not_follow_take_the_exact_path() -> None:
    standard = _document(_element(0x03, b"0", _item()))
    odd_keys = _document(_element(0x03, b"x", _item()))  # decoders ignore array keys: still a valid order
    product_again = _element(0x02, b"product_id", _string(b"P2"))  # the last value counts, as in a dict
    docs = [
        _crafted("O-standard", standard),
        _crafted("O-odd-array-keys", odd_keys),
        _crafted("O-duplicate-field", standard, customer_id=b"\x02" + _string(b"C404")),  # the last one counts
        _crafted("O-duplicate-item-field", _document(_element(0x03, b"0", _item(b"P1", product_again)))),
        _crafted("O-regex-extra", standard, pattern=b"\x0b" + b"a+\0i\0"),
        _crafted("O-symbol-extra", standard, legacy=b"\x0e" + _string(b"sym")),
        _crafted("O-non-ascii", _document(_element(0x03, b"0", _item(b"P\xc3\xa9")))),  # unknown product "Pé"
    ]
    orders, lines, rejects = _same(docs)
    loaded = {"O-standard", "O-odd-array-keys", "O-duplicate-item-field", "O-regex-extra", "O-symbol-extra"}
    assert {o[0] for o in orders} == loaded
    assert [line[2] for line in lines if line[0] == "O-duplicate-item-field"] == ["P2"]
    assert dict(rejects) == {"O-duplicate-field": "unknown customer_id", "O-non-ascii": "unknown product_id"}


def test_text_that_is_not_utf8_is_left_to_the_client_decoder() -> None:
    broken = _crafted("O-bad-utf8", _document(_element(0x03, b"0", _item(b"P\xff"))))
    replacing = CodecOptions(tz_aware=True, unicode_decode_error_handler="replace")
    _, _, rejects = _same([broken], codec=replacing)
    assert rejects == [("O-bad-utf8", "unknown product_id")]
    with pytest.raises(bson.errors.InvalidBSON):
        _columnar([broken])  # as strict decoding fails the load row by row


def test_clients_decoding_otherwise_get_row_by_row_judgement() -> None:
    docs = [dict(good(), _id=f"O-{n}") for n in range(3)]
    _, _, rejects = _same(docs, codec=CodecOptions(tz_aware=False))
    assert {reason for _, reason in rejects} == {"ordered_at is a naive timestamp"}


@pytest.mark.parametrize("value", [0.125, 2.675, 1.005, 1.0049999999999999, 0.285, 9999999999.99, 1234567.125,
                                   -3.455, 0.0, 19.99, 42.99 * 3, 1e-9, 0.015, 123456.785])  # fmt: skip
def test_money_rounds_as_postgresql_casts_float8_to_numeric(value: float) -> None:
    expected = Decimal(f"{value:.15g}").quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)  # float8_numeric + typmod
    assert numeric_cents(np.array([value]))[0] == int(expected * 100)
    assert python_round2(np.array([value * 3]))[0] == round(value * 3, 2)
