"""The fixed product catalog of a seed: categories, brands, names, base prices, launch dates, demand traits."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from faker import Faker

from shopease_platform.simulation.config import SimulationConfig
from shopease_platform.simulation.windows import (
    STREAM_CATALOG,
    WINDOW,
    WINDOWS_PER_DAY,
    rng_for,
)

BRANDS_PER_CATEGORY = 8
MODEL_WORDS = ("Classic", "Pro", "Essential", "Ultra", "Compact", "Deluxe", "Eco", "Prime", "Max", "Lite", "Plus")
LAUNCHED_AFTER_START_SHARE = 0.08
"""Share of products launched during the first year after ``start`` (not orderable before their launch)."""


@dataclass(frozen=True)
class Catalog:
    """Column arrays of every product, index ``i`` being product ``P{i + 1:05d}``."""

    config: SimulationConfig
    product_ids: tuple[str, ...]
    skus: tuple[str, ...]
    names: tuple[str, ...]
    brands: tuple[str, ...]
    subcategories: tuple[str, ...]
    category: np.ndarray
    """Index into ``config.ground_truth.categories``."""
    base_price: np.ndarray
    popularity: np.ndarray
    """Base choice weight (lognormal), before drift, season, taste and price response."""
    drift_amplitude: np.ndarray
    drift_period_days: np.ndarray
    drift_phase: np.ndarray
    launched_window: np.ndarray
    """Window index of the launch (negative: launched before ``start``)."""
    expected_daily_units: np.ndarray
    """Units per day the product sells on average at ``start``, before seasons; sizes stock and restocks."""
    initial_stock: np.ndarray
    reorder_point: np.ndarray
    supply_ratio: np.ndarray
    restock_slot: np.ndarray
    """Window of the restock cycle (0 .. cadence * 8 - 1) in which the product receives its delivery."""

    def __len__(self) -> int:
        return len(self.product_ids)

    @property
    def category_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.config.ground_truth.categories)

    def elasticity(self) -> np.ndarray:
        """Per-product price elasticity (its category's)."""
        return np.array([c.elasticity for c in self.config.ground_truth.categories])[self.category]

    def launched_at(self, i: int) -> datetime:
        return self.config.start + WINDOW * int(self.launched_window[i])

    def documents(self) -> list[dict]:
        """Product documents as first written to MongoDB: price = base price, stock = initial stock."""
        names = self.category_names
        start = self.config.start
        return [
            {
                "_id": pid,
                "sku": self.skus[i],
                "name": self.names[i],
                "category": names[int(self.category[i])],
                "subcategory": self.subcategories[i],
                "brand": self.brands[i],
                "base_price": float(self.base_price[i]),
                "price": float(self.base_price[i]),
                "initial_stock": int(self.initial_stock[i]),
                "stock": int(self.initial_stock[i]),
                "reorder_point": int(self.reorder_point[i]),
                "launched_at": self.launched_at(i),
                "updated_at": start,
            }
            for i, pid in enumerate(self.product_ids)
        ]


def _category_counts(shares: np.ndarray, total: int) -> np.ndarray:
    """Products per category proportional to the shares (largest remainder), at least one each."""
    raw = shares / shares.sum() * (total - len(shares))
    counts = np.floor(raw).astype(np.int64) + 1
    remainder = total - counts.sum()
    counts[np.argsort(-(raw - np.floor(raw)), kind="stable")[:remainder]] += 1
    return counts


def _price_ending_99(prices: np.ndarray) -> np.ndarray:
    return np.maximum(np.floor(prices), 1.0) - 0.01


@functools.lru_cache(maxsize=8)
def build_catalog(config: SimulationConfig) -> Catalog:
    """The catalog of ``config`` (cached: it depends on nothing else)."""
    truth = config.ground_truth
    rng = rng_for(config, STREAM_CATALOG)
    n = config.n_products
    shares = np.array([c.catalog_share for c in truth.categories])
    category = np.repeat(np.arange(len(truth.categories)), _category_counts(shares, n))
    rng.shuffle(category)

    low = np.array([c.price_range[0] for c in truth.categories])[category]
    high = np.array([c.price_range[1] for c in truth.categories])[category]
    base_price = np.round(_price_ending_99(np.exp(rng.uniform(np.log(low), np.log(high)))), 2)

    popularity = rng.lognormal(0.0, truth.popularity_sigma, n)
    drift_amplitude = rng.uniform(0.0, truth.popularity_drift_amplitude, n)
    drift_period = rng.uniform(*truth.popularity_drift_period_days, n)
    drift_phase = rng.uniform(0.0, 2 * np.pi, n)

    launched_days = np.where(
        rng.random(n) < LAUNCHED_AFTER_START_SHARE, rng.uniform(1.0, 365.0, n), -rng.uniform(30.0, 1500.0, n)
    )
    launched_window = np.floor(launched_days * WINDOWS_PER_DAY).astype(np.int64)

    lines_per_day = config.base_orders_per_window * WINDOWS_PER_DAY * truth.mean_line_items
    expected_daily_units = lines_per_day * truth.mean_quantity * popularity / popularity.sum()
    undersupplied = rng.random(n) < truth.undersupplied_share
    supply_ratio = np.where(
        undersupplied, rng.uniform(*truth.undersupplied_ratio, n), rng.uniform(*truth.supply_ratio, n)
    )
    stock_days = np.where(undersupplied, truth.undersupplied_initial_stock_days, truth.initial_stock_days)
    initial_stock = np.ceil(expected_daily_units * stock_days).astype(np.int64) + 5
    reorder_point = np.ceil(expected_daily_units * truth.reorder_point_days).astype(np.int64) + 1
    restock_slot = rng.integers(0, truth.restock_cadence_days * WINDOWS_PER_DAY, n)

    model_word = rng.integers(0, len(MODEL_WORDS), n)
    model_number = rng.integers(100, 1000, n)
    subcategory_pick = rng.integers(0, 5, n)
    brand_pick = rng.integers(0, BRANDS_PER_CATEGORY, n)

    fake = Faker("en_US")
    fake.seed_instance(config.seed)
    brand_names = [
        [f"{fake.unique.last_name()} {cat.name.split()[0]}" for _ in range(BRANDS_PER_CATEGORY)]
        for cat in truth.categories
    ]
    product_ids, skus, names, brands, subcategories = [], [], [], [], []
    for i in range(n):
        spec = truth.categories[int(category[i])]
        brand = brand_names[int(category[i])][int(brand_pick[i])]
        subcategory = spec.subcategories[int(subcategory_pick[i]) % len(spec.subcategories)]
        product_ids.append(f"P{i + 1:05d}")
        skus.append(f"SE-{spec.code}-{i + 1:05d}")
        brands.append(brand)
        subcategories.append(subcategory)
        names.append(f"{brand.split()[0]} {MODEL_WORDS[int(model_word[i])]} {subcategory} {int(model_number[i])}")

    return Catalog(
        config=config,
        product_ids=tuple(product_ids),
        skus=tuple(skus),
        names=tuple(names),
        brands=tuple(brands),
        subcategories=tuple(subcategories),
        category=category,
        base_price=base_price,
        popularity=popularity,
        drift_amplitude=drift_amplitude,
        drift_period_days=drift_period,
        drift_phase=drift_phase,
        launched_window=launched_window,
        expected_daily_units=expected_daily_units,
        initial_stock=initial_stock,
        reorder_point=reorder_point,
        supply_ratio=supply_ratio,
        restock_slot=restock_slot,
    )
