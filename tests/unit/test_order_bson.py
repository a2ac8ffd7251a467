"""Orders encoded as BSON from the simulation's columns are byte for byte the encoded documents."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import bson
import numpy as np
import pytest

from shopease_platform.mongo_store.order_bson import encode_orders
from shopease_platform.simulation import SimulationConfig, build_catalog, order_columns_for_window, orders_for_window
from shopease_platform.simulation.ids import CUSTOMER_ID, ORDER_ID
from shopease_platform.simulation.stores import store_ids

START = datetime(2026, 1, 1, tzinfo=UTC)


def _encode(config: SimulationConfig, columns, product_ids=None) -> list[bytes] | None:
    product_ids = build_catalog(config).product_ids if product_ids is None else product_ids
    return encode_orders(columns, store_ids(config), product_ids, columns.order_totals())


@pytest.mark.parametrize(
    "config",
    [
        SimulationConfig(seed=7, n_products=600, start=START),
        SimulationConfig(seed=11, start=START, base_orders_per_window=900.0),
    ],
    ids=["small-catalog", "busy-windows"],
)
def test_columns_encode_to_the_same_bytes_as_the_documents(config: SimulationConfig) -> None:
    windows = [START + timedelta(hours=3) * k for k in (0, 5, 333, 2_600)]  # night, day, spring, November peak
    for window_start in windows:
        columns = order_columns_for_window(config, window_start)
        expected = [bson.encode(order) for order in orders_for_window(config, window_start)]
        assert len(expected) > 0
        assert _encode(config, columns) == expected, window_start


def test_layouts_it_cannot_reproduce_fall_back_to_none() -> None:
    config = SimulationConfig(seed=7, n_products=600, start=START)
    columns = order_columns_for_window(config, START + timedelta(days=40))
    product_ids = list(build_catalog(config).product_ids)
    product_ids[int(columns.product[0])] += "-X"  # one id wider than the rest
    assert _encode(config, columns, product_ids) is None

    one_long_order = dataclasses.replace(
        columns,
        customer_window=columns.customer_window[:1],
        customer_seq=columns.customer_seq[:1],
        store=columns.store[:1],
        state=columns.state[:1],
        ordered_offset=columns.ordered_offset[:1],
        line_offsets=np.array([0, 11]),
        product=np.resize(columns.product, 11),
        quantity=np.resize(columns.quantity, 11),
        unit_price=np.resize(columns.unit_price, 11),
    )
    assert _encode(config, one_long_order) is None


def test_id_columns_match_single_ids_and_survive_overflow() -> None:
    windows, seqs = np.array([0, 7, 123_456]), np.array([0, 42, 9_999])
    assert CUSTOMER_ID.strings(windows, seqs) == ["C-000000-0000", "C-000007-0042", "C-123456-9999"]
    assert ORDER_ID.strings(windows, seqs) == [ORDER_ID.format(w, s) for w, s in zip(windows, seqs, strict=True)]
    wide = np.array([1, 10_000])
    assert CUSTOMER_ID.ascii(wide, wide) is None  # a 5-digit sequence would make that id wider
    assert CUSTOMER_ID.strings(wide, wide) == ["C-000001-0001", "C-010000-10000"]
