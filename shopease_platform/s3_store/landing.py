"""Land the simulated business in S3: the catalog and stores once, customers, price events and orders per window.

Every window is its own dataset (`datasets.write_dataset`): written whole, visible only once its manifest is
in place, replaced exactly by a re-run. An orders window carries what a loader needs beside the orders, so it
never has to look across windows: the documents of every customer its orders reference (returning customers
may come from windows never landed here) and its stock movement (restocks minus units sold), from which the
products' live stock is derived.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa

from shopease_platform.prefetch import Prefetch
from shopease_platform.s3_store import tables
from shopease_platform.s3_store.datasets import Dataset, Manifest, PartData, S3Location, write_dataset
from shopease_platform.simulation import (
    SimulationConfig,
    build_catalog,
    build_stores,
    customer_documents,
    customers_for_window,
    order_columns_for_window,
    price_at,
    price_events_for_window,
)

ORDERS_PER_PART = 200_000
"""Orders per Parquet part: a loader holds one part at a time, so this bounds its memory however large a window."""

FailureHook = Callable[[], None]


def land_catalog(store: S3Location, config: SimulationConfig) -> Manifest:
    """The product catalog as first stocked and priced (`products/`); live price and stock follow the windows."""
    table = tables.documents_table(build_catalog(config).documents(), tables.PRODUCTS)
    return write_dataset(store, Dataset("products"), [PartData("products", table)], {"products": table.num_rows})


def land_stores(store: S3Location, config: SimulationConfig) -> Manifest:
    table = tables.documents_table(build_stores(config), tables.STORES)
    return write_dataset(store, Dataset("stores"), [PartData("stores", table)], {"stores": table.num_rows})


def land_customer_window(store: S3Location, config: SimulationConfig, window_start: datetime) -> Manifest:
    """Everyone who signed up in the window (`customers/window=.../`)."""
    table = tables.documents_table(customers_for_window(config, window_start), tables.CUSTOMERS)
    return write_dataset(
        store, Dataset("customers", window_start), [PartData("customers", table)], {"customers": table.num_rows}
    )


def land_price_event_window(store: S3Location, config: SimulationConfig, window_start: datetime) -> Manifest:
    """The window's price changes, and every product's price in force during it (the current price of a
    history that starts mid-way, whose earlier changes were never landed)."""
    events = tables.documents_table(price_events_for_window(config, window_start), tables.PRICE_EVENTS)
    catalog = build_catalog(config)
    prices = pa.Table.from_pydict(
        {"product_id": list(catalog.product_ids), "price": price_at(config, window_start).tolist()},
        schema=tables.PRICES,
    )
    parts = [PartData("price_events", events), PartData("prices", prices)]
    return write_dataset(store, Dataset("price_events", window_start), parts, {"price_events": events.num_rows})


@dataclass
class LandedWindows:
    """What a range of order windows put in S3 (asset metadata)."""

    windows: int = 0
    orders: int = 0
    lines: int = 0
    revenue: float = 0.0
    parts: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class _SimulatedWindow:
    window_start: datetime
    parts: list[PartData]
    totals: dict[str, float]


def simulate_order_window(
    config: SimulationConfig, window_start: datetime, orders_per_part: int = ORDERS_PER_PART
) -> tuple[list[PartData], dict[str, float]]:
    """The parts and totals of one orders window: orders split into parts, referenced customers, stock."""
    columns = order_columns_for_window(config, window_start)
    parts = []
    for first in range(0, max(len(columns), 1), orders_per_part):
        rows = slice(first, min(first + orders_per_part, len(columns)))
        parts.append(PartData("orders", tables.orders_table(config, columns, rows), tables.order_totals(columns, rows)))
    customers = tables.documents_table(customer_documents(config, columns.distinct_customer_ids()), tables.CUSTOMERS)
    parts.append(PartData("customers", customers))
    parts.append(PartData("stock", tables.stock_table(config, columns, window_start)))
    totals = tables.order_totals(columns)
    totals["customers"] = customers.num_rows
    return parts, totals


def land_order_windows(
    store: S3Location,
    config: SimulationConfig,
    window_starts: Sequence[datetime],
    orders_per_part: int = ORDERS_PER_PART,
    before_manifest: FailureHook | None = None,
    on_window: Callable[[LandedWindows], None] | None = None,
) -> LandedWindows:
    """Simulate and write every window; the next window is simulated in a thread while this one uploads."""
    landed = LandedWindows()

    def produce(should_stop: Callable[[], bool]) -> Iterator[_SimulatedWindow]:
        for start in window_starts:
            if should_stop():
                return
            yield _SimulatedWindow(start, *simulate_order_window(config, start, orders_per_part))

    with Prefetch(produce, depth=2, name="s3-order-simulation") as windows:
        for window in windows:
            manifest = write_dataset(
                store, Dataset("orders", window.window_start), window.parts, window.totals, before_manifest
            )
            landed.windows += 1
            landed.orders += int(window.totals["orders"])
            landed.lines += int(window.totals["lines"])
            landed.revenue += window.totals["revenue"]
            landed.parts += len(manifest.parts)
            landed.bytes += int(np.sum([p.bytes for p in manifest.parts]))
            if on_window is not None:
                on_window(landed)
    return landed
