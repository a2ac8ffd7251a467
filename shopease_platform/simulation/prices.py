"""Dated price changes per product: promotions (with their end) and permanent increases.

Every change takes effect at a window boundary, so one price holds for a product during a whole window: the
unit price of an order line is exactly the price in force when the order was placed. Timelines are drawn once
per configuration over ``price_horizon_days`` and indexed as sorted ``product * KEY + window`` keys, which
makes "price of every product in window w" one vectorised ``searchsorted``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from shopease_platform.simulation.catalog import build_catalog
from shopease_platform.simulation.config import SimulationConfig
from shopease_platform.simulation.windows import (
    STREAM_PRICES,
    WINDOW_SECONDS,
    WINDOWS_PER_DAY,
    rng_for,
    window_index,
    window_start_for,
)

KEY = 10**7
"""Window indices stay below this (3653 days are 29k windows)."""
KIND_NAMES = ("promotion_start", "promotion_end", "increase")
PROMOTION_START, PROMOTION_END, INCREASE = range(3)


@dataclass(frozen=True)
class PriceTimeline:
    """All price changes of a configuration, sorted by (product, window)."""

    keys: np.ndarray
    product: np.ndarray
    window: np.ndarray
    kind: np.ndarray
    old_price: np.ndarray
    new_price: np.ndarray
    base_price: np.ndarray
    by_window: dict[int, np.ndarray]
    """Window index -> positions of the changes effective at its start."""

    def prices_in_window(self, index: int) -> np.ndarray:
        """Price of every product during window ``index``."""
        n = len(self.base_price)
        probe = np.arange(n, dtype=np.int64) * KEY + index
        pos = np.searchsorted(self.keys, probe, side="right") - 1
        safe = np.maximum(pos, 0)
        valid = (pos >= 0) & (self.product[safe] == np.arange(n))
        return np.where(valid, self.new_price[safe], self.base_price)


def _round_price(value: float) -> float:
    return round(max(value, 0.01), 2)


def _product_changes(
    rng: np.random.Generator, config: SimulationConfig, base: float, horizon_windows: int
) -> list[tuple[int, int, float, float]]:
    """(window, kind, old price, new price) of one product, in time order."""
    truth = config.ground_truth
    promotions: list[tuple[int, int, float]] = []
    day = rng.exponential(365.0 / truth.promotions_per_year) if truth.promotions_per_year > 0 else np.inf
    horizon_days = horizon_windows / WINDOWS_PER_DAY
    while day < horizon_days:
        length = rng.uniform(*truth.promotion_days)
        begin = max(1, int(np.ceil(day * WINDOWS_PER_DAY)))
        end = max(begin + 1, int(np.ceil((day + length) * WINDOWS_PER_DAY)))
        discount = rng.integers(round(truth.promotion_discount[0] * 100), round(truth.promotion_discount[1] * 100) + 1)
        promotions.append((begin, end, discount / 100.0))
        day += length + 1.0 + rng.exponential(365.0 / truth.promotions_per_year)
    count = rng.poisson(truth.increases_per_year * horizon_days / 365.0)
    increase_windows = np.sort(rng.integers(1, horizon_windows, count))
    increase_sizes = rng.uniform(*truth.increase_pct, count)
    guard = WINDOWS_PER_DAY
    increases = [
        (int(w), float(size))
        for w, size in zip(increase_windows, increase_sizes, strict=True)
        if not any(b - guard <= w <= e + guard for b, e, _ in promotions)
    ]
    steps = [(b, PROMOTION_START, d) for b, _, d in promotions] + [(e, PROMOTION_END, 0.0) for _, e, _ in promotions]
    steps = sorted(steps + [(w, INCREASE, s) for w, s in increases])
    regular = current = base
    changes: list[tuple[int, int, float, float]] = []
    last_window = -1
    for window, kind, amount in steps:
        if window >= horizon_windows or window == last_window:
            continue
        if kind == PROMOTION_START:
            new = _round_price(regular * (1.0 - amount))
        elif kind == PROMOTION_END:
            new = regular
        else:
            regular = round(max(np.floor(regular * (1.0 + amount)), 1.0) - 0.01, 2)
            new = regular
        if new != current:
            changes.append((window, kind, current, new))
            current = new
            last_window = window
    return changes


@functools.lru_cache(maxsize=8)
def price_timeline(config: SimulationConfig) -> PriceTimeline:
    """Every price change of the configuration (cached)."""
    catalog = build_catalog(config)
    rng = rng_for(config, STREAM_PRICES)
    horizon = config.ground_truth.price_horizon_days * WINDOWS_PER_DAY
    rows: list[tuple[int, int, int, float, float]] = []
    for i, base in enumerate(catalog.base_price.tolist()):
        for window, kind, old, new in _product_changes(rng, config, base, horizon):
            rows.append((i, window, kind, old, new))
    product = np.array([r[0] for r in rows], dtype=np.int64)
    window = np.array([r[1] for r in rows], dtype=np.int64)
    order = np.lexsort((window, product))
    product, window = product[order], window[order]
    kind = np.array([r[2] for r in rows], dtype=np.int8)[order]
    old_price = np.array([r[3] for r in rows])[order]
    new_price = np.array([r[4] for r in rows])[order]
    by_window: dict[int, list[int]] = {}
    for pos, w in enumerate(window.tolist()):
        by_window.setdefault(w, []).append(pos)
    return PriceTimeline(
        keys=product * KEY + window,
        product=product,
        window=window,
        kind=kind,
        old_price=old_price,
        new_price=new_price,
        base_price=catalog.base_price,
        by_window={w: np.array(p, dtype=np.int64) for w, p in by_window.items()},
    )


def price_events_for_window(config: SimulationConfig, window_start: datetime) -> list[dict]:
    """Price-change documents effective at the start of this window."""
    index = window_index(config, window_start)
    timeline = price_timeline(config)
    positions = timeline.by_window.get(index)
    if positions is None:
        return []
    product_ids = build_catalog(config).product_ids
    effective_at = window_start_for(config, index)
    return [
        {
            "_id": f"PE-{product_ids[int(timeline.product[p])]}-{index:06d}",
            "product_id": product_ids[int(timeline.product[p])],
            "effective_at": effective_at,
            "kind": KIND_NAMES[int(timeline.kind[p])],
            "old_price": float(timeline.old_price[p]),
            "new_price": float(timeline.new_price[p]),
        }
        for p in positions.tolist()
    ]


def price_at(config: SimulationConfig, moment: datetime) -> np.ndarray:
    """Price of every product (catalog order) at ``moment``."""
    seconds = (moment - config.start).total_seconds()
    return price_timeline(config).prices_in_window(max(int(seconds // WINDOW_SECONDS), 0))
