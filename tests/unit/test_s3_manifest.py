"""The manifest of an S3 window: exact round trip, refused when foreign, and the totals a reconciliation expects."""

from __future__ import annotations

import json

import pytest

from shopease_platform.checks.manifest_reconciliation import manifest_totals
from shopease_platform.checks.reconciliation import Totals
from shopease_platform.s3_store.datasets import Manifest, Part

PARTS = (
    Part("p/orders-0000-aa.parquet", "orders", 3, 100, "aa", {"orders": 3, "lines": 5, "revenue": 50.25}),
    Part("p/orders-0001-bb.parquet", "orders", 2, 90, "bb", {"orders": 2, "lines": 4, "revenue": 40.0}),
    Part("p/customers-0002-cc.parquet", "customers", 4, 80, "cc"),
)
MANIFEST = Manifest("orders", "2026-03-01T06", PARTS, {"orders": 5, "lines": 9, "revenue": 90.25, "customers": 4})


def test_a_manifest_reads_back_exactly_and_writes_the_same_bytes() -> None:
    data = MANIFEST.to_json()
    assert Manifest.from_json(data) == MANIFEST
    assert Manifest.from_json(data).to_json() == data
    assert [p.key for p in MANIFEST.parts_of("orders")] == ["p/orders-0000-aa.parquet", "p/orders-0001-bb.parquet"]


def test_a_manifest_of_another_format_version_is_refused() -> None:
    document = json.loads(MANIFEST.to_json())
    document["version"] = 2
    with pytest.raises(ValueError, match="format version 2"):
        Manifest.from_json(json.dumps(document).encode())


def test_quarantined_parts_and_orders_are_set_aside_from_the_manifest_totals() -> None:
    assert manifest_totals([MANIFEST], []) == Totals(5, 9, 90.25)
    order = {"_id": "O-1", "items": [{"quantity": "2", "unit_price": 1.255}, {"quantity": None, "unit_price": 3}]}
    quarantined = [("p/orders-0001-bb.parquet", {"_id": "p/orders-0001-bb.parquet"}), ("O-1", order)]
    assert manifest_totals([MANIFEST], quarantined) == Totals(5 - 2 - 1, 9 - 4 - 2, round(90.25 - 40.0 - 2.51, 2))
