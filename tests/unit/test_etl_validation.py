"""Pure validation and flattening of order documents: every malformed shape has its own reason."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shopease_platform.etl.validation import References, Rejected, order_rows

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
