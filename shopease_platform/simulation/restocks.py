"""Deliveries: each product is restocked once per cadence, in its own window of the cycle.

A delivery covers the product's expected demand until the next one times its supply ratio (below 1 for the
chronically under-supplied products that run out), with lognormal noise. Orders are never refused: stock may go
below zero, meaning units on back-order, which is what the "out-of-stock products" report shows.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np

from shopease_platform.simulation.catalog import build_catalog
from shopease_platform.simulation.config import SimulationConfig
from shopease_platform.simulation.windows import (
    DAYS_PER_YEAR,
    STREAM_RESTOCKS,
    WINDOW_SECONDS,
    WINDOWS_PER_DAY,
    days_since_start,
    rng_for,
    window_index,
)


def restocks_for_window(config: SimulationConfig, window_start: datetime) -> list[dict]:
    """Restock documents of the deliveries arriving in this window."""
    truth = config.ground_truth
    window = window_index(config, window_start)
    catalog = build_catalog(config)
    cycle = truth.restock_cadence_days * WINDOWS_PER_DAY
    due = np.flatnonzero((catalog.restock_slot == window % cycle) & (catalog.launched_window <= window))
    rng = rng_for(config, STREAM_RESTOCKS, window)
    growth = math.exp(math.log1p(truth.annual_growth) * days_since_start(config, window_start) / DAYS_PER_YEAR)
    noise = rng.lognormal(0.0, truth.restock_noise_sigma, len(due))
    quantity = np.maximum(
        np.round(catalog.expected_daily_units[due] * truth.restock_cadence_days * catalog.supply_ratio[due] * growth
                 * noise), 1
    ).astype(np.int64)  # fmt: skip
    offsets = rng.integers(0, WINDOW_SECONDS, len(due))
    return [
        {
            "_id": f"R-{catalog.product_ids[p]}-{window:06d}",
            "product_id": catalog.product_ids[p],
            "quantity": int(q),
            "restocked_at": window_start + timedelta(seconds=int(s)),
        }
        for p, q, s in zip(due.tolist(), quantity.tolist(), offsets.tolist(), strict=True)
    ]
