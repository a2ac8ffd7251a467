"""Orders encoded as BSON from the simulation's columns are byte for byte the encoded documents."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import bson
import numpy as np
import pytest

from shopease_platform.mongo_store.order_bson import encode_order_items, encode_orders
from shopease_platform.mongo_store.order_items import line_documents
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


def test_columns_encode_order_items_to_the_same_bytes_as_the_line_documents() -> None:
    config = SimulationConfig(seed=11, start=START, base_orders_per_window=900.0)
    for window_start in (START, START + timedelta(hours=3) * 2_600):
        columns = order_columns_for_window(config, window_start)
        lines = line_documents(orders_for_window(config, window_start))
        assert len(lines) == len(columns.product) > len(columns)
        encoded = encode_order_items(columns, store_ids(config), build_catalog(config).product_ids)
        assert encoded == [bson.encode(line) for line in lines], window_start


def test_a_ten_line_order_encodes_its_two_digit_line_ids() -> None:
    config = SimulationConfig(seed=7, n_products=600, start=START)
    columns = _single_order(order_columns_for_window(config, START + timedelta(days=40)), lines=10)
    products = build_catalog(config).product_ids
    (order,) = [bson.decode(raw) for raw in _encode(config, columns)]
    lines = line_documents([order])
    assert lines[-1]["_id"] == f"{order['_id']}-10"
    assert encode_order_items(columns, store_ids(config), products) == [bson.encode(line) for line in lines]


def test_layouts_it_cannot_reproduce_fall_back_to_none() -> None:
    config = SimulationConfig(seed=7, n_products=600, start=START)
    columns = order_columns_for_window(config, START + timedelta(days=40))
    product_ids = list(build_catalog(config).product_ids)
    product_ids[int(columns.product[0])] += "-X"  # one id wider than the rest
    assert _encode(config, columns, product_ids) is None

    one_long_order = _single_order(columns, lines=11)
    assert _encode(config, one_long_order) is None
    assert encode_order_items(one_long_order, store_ids(config), build_catalog(config).product_ids) is None


def _single_order(columns, lines: int):
    """The window's first order alone, with `lines` lines (products are distinct as long as the first are)."""
    return dataclasses.replace(
        columns,
        customer_window=columns.customer_window[:1],
        customer_seq=columns.customer_seq[:1],
        store=columns.store[:1],
        state=columns.state[:1],
        ordered_offset=columns.ordered_offset[:1],
        line_offsets=np.array([0, lines]),
        product=np.arange(lines) + 1,
        quantity=np.resize(columns.quantity, lines),
        unit_price=np.resize(columns.unit_price, lines),
    )


def test_id_columns_match_single_ids_and_survive_overflow() -> None:
    windows, seqs = np.array([0, 7, 123_456]), np.array([0, 42, 9_999])
    assert CUSTOMER_ID.strings(windows, seqs) == ["C-000000-0000", "C-000007-0042", "C-123456-9999"]
    assert ORDER_ID.strings(windows, seqs) == [ORDER_ID.format(w, s) for w, s in zip(windows, seqs, strict=True)]
    wide = np.array([1, 10_000])
    assert CUSTOMER_ID.ascii(wide, wide) is None  # a 5-digit sequence would make that id wider
    assert CUSTOMER_ID.strings(wide, wide) == ["C-000001-0001", "C-010000-10000"]
