"""Orders of one 3-hour window, generated as columns and turned into documents only at the edge.

How a window's orders come about:

1. Volume: ``Poisson(base x hour x weekday x month x growth)`` orders (`windows.volume_multiplier`).
2. Who: the window's new customers who place a first order, then returning customers drawn from everyone who
   signed up earlier, weighted by propensity and recency (`customers.returning_pool`).
3. Where: the online store, or a branch (the customer's home-state branch when there is one).
4. What: 1..n distinct products per order, chosen with weight ``popularity x drift x category season x
   regional taste x (price / base price) ** elasticity`` among launched products, with quantities 1..5.
5. At what price: the price in force during the window (`prices.price_timeline`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from shopease_platform.simulation.catalog import Catalog, build_catalog
from shopease_platform.simulation.config import SimulationConfig
from shopease_platform.simulation.customers import cohort, returning_pool
from shopease_platform.simulation.ids import CUSTOMER_ID, ORDER_ID
from shopease_platform.simulation.prices import price_timeline
from shopease_platform.simulation.stores import branch_of_state, store_ids
from shopease_platform.simulation.taste import regional_taste
from shopease_platform.simulation.windows import (
    STREAM_ORDERS,
    WINDOW_SECONDS,
    days_since_start,
    rng_for,
    volume_multiplier,
    window_index,
    window_start_for,
)

MAX_REDRAWS = 25


@dataclass(frozen=True)
class OrderColumns:
    """A window's orders (sorted by time) and their lines, as arrays."""

    window: int
    window_start: datetime
    customer_window: np.ndarray
    customer_seq: np.ndarray
    store: np.ndarray
    state: np.ndarray
    ordered_offset: np.ndarray
    """Seconds after the window start."""
    line_offsets: np.ndarray
    """Lines of order ``i`` are ``line_offsets[i]:line_offsets[i + 1]``."""
    product: np.ndarray
    quantity: np.ndarray
    unit_price: np.ndarray

    def __len__(self) -> int:
        return len(self.ordered_offset)

    @property
    def line_order(self) -> np.ndarray:
        """Order position of every line."""
        return np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.line_offsets))

    def order_ids(self) -> list[str]:
        return ORDER_ID.strings(np.full(len(self), self.window, dtype=np.int64), np.arange(len(self)))

    def order_ids_ascii(self) -> np.ndarray | None:
        """`order_ids()` as an (orders, width) ASCII matrix; None if the ids differ in width."""
        return ORDER_ID.ascii(np.full(len(self), self.window, dtype=np.int64), np.arange(len(self)))

    def customer_ids(self) -> list[str]:
        """The customer of every order."""
        return CUSTOMER_ID.strings(self.customer_window, self.customer_seq)

    def customer_ids_ascii(self) -> np.ndarray | None:
        """`customer_ids()` as an (orders, width) ASCII matrix; None if the ids differ in width."""
        return CUSTOMER_ID.ascii(self.customer_window, self.customer_seq)

    def distinct_customer_ids(self) -> list[str]:
        """Every customer who ordered in the window, once each."""
        if not len(self):
            return []
        span = int(self.customer_seq.max()) + 1
        keys = np.unique(self.customer_window * span + self.customer_seq)
        return CUSTOMER_ID.strings(keys // span, keys % span)

    def order_totals(self) -> np.ndarray:
        amounts = np.round(self.quantity * self.unit_price, 2)
        sums = np.add.reduceat(amounts, self.line_offsets[:-1]) if len(self) else np.zeros(0)
        return np.round(sums, 2)


def product_weights(config: SimulationConfig, catalog: Catalog, window: int, prices: np.ndarray) -> np.ndarray:
    """Choice weight of every (state, product) in a window: rows are states, columns products."""
    truth = config.ground_truth
    start = window_start_for(config, window)
    days = days_since_start(config, start)
    season = np.array([c.season[start.month - 1] for c in truth.categories])[catalog.category]
    drift = np.exp(catalog.drift_amplitude * np.sin(2 * np.pi * days / catalog.drift_period_days + catalog.drift_phase))
    price_response = (prices / catalog.base_price) ** catalog.elasticity()
    launched = catalog.launched_window <= window
    base = catalog.popularity * drift * season * price_response * launched
    return base[None, :] * regional_taste(config)[:, catalog.category]


def _choose_products(
    rng: np.random.Generator, weights: np.ndarray, line_state: np.ndarray, line_order: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One product per line from its state's weights, distinct within each order; returns (products, kept)."""
    n_states, n_products = weights.shape
    cumulative = np.cumsum(weights, axis=1)
    totals = cumulative[:, -1:]
    stacked = (cumulative / np.where(totals > 0, totals, 1.0) + np.arange(n_states)[:, None]).ravel()

    def draw(states: np.ndarray) -> np.ndarray:
        picks = np.searchsorted(stacked, states + rng.random(len(states)), side="right") - states * n_products
        return np.clip(picks, 0, n_products - 1)

    products = draw(line_state)
    duplicate = np.zeros(len(products), dtype=bool)
    for _ in range(MAX_REDRAWS):
        key = line_order * n_products + products
        order = np.argsort(key, kind="stable")
        duplicate = np.zeros(len(products), dtype=bool)
        duplicate[order[1:]] = key[order[1:]] == key[order[:-1]]
        if not duplicate.any():
            break
        products[duplicate] = draw(line_state[duplicate])
    return products, ~duplicate


def order_columns_for_window(config: SimulationConfig, window_start: datetime) -> OrderColumns:
    """The window's orders as columns: the fast path for benchmarks and statistics."""
    truth = config.ground_truth
    window = window_index(config, window_start)
    catalog = build_catalog(config)
    rng = rng_for(config, STREAM_ORDERS, window)

    n_orders = int(rng.poisson(config.base_orders_per_window * volume_multiplier(config, window_start)))
    signups = cohort(config, window)
    first = np.flatnonzero(signups.places_first_order)
    pool = returning_pool(config, window)
    n_returning = max(n_orders - len(first), 0) if pool.weight.sum() > 0 else 0

    cumulative = np.cumsum(pool.weight)
    picked = np.searchsorted(cumulative, rng.random(n_returning) * (cumulative[-1] if n_returning else 0.0), "right")
    picked = np.minimum(picked, max(len(cumulative) - 1, 0))
    customer_window = np.concatenate([np.full(len(first), window, dtype=np.int64), pool.window[picked]])
    customer_seq = np.concatenate([first.astype(np.int64), pool.seq[picked]])
    state = np.concatenate([signups.state[first], pool.state[picked]]).astype(np.int64)
    created = signups.created_offset[first]
    offset = np.concatenate(
        [created + (rng.random(len(first)) * (WINDOW_SECONDS - created)).astype(np.int64),
         rng.integers(0, WINDOW_SECONDS, n_returning)]
    )  # fmt: skip

    by_time = np.lexsort((customer_seq, customer_window, offset))
    customer_window, customer_seq, state, offset = (
        customer_window[by_time], customer_seq[by_time], state[by_time], offset[by_time]
    )  # fmt: skip
    n = len(offset)

    online = rng.random(n) < truth.online_share
    home = branch_of_state(config)[state]
    use_home = (home >= 0) & (rng.random(n) < truth.home_branch_share)
    n_branches = len(store_ids(config)) - 1
    any_branch = rng.integers(1, n_branches + 1, n)
    store = np.where(online, 0, np.where(use_home, home, any_branch))

    lines_per_order = np.minimum(
        rng.choice(len(truth.line_items_probs), size=n, p=truth.line_items_probs) + 1, len(catalog)
    )
    line_order = np.repeat(np.arange(n, dtype=np.int64), lines_per_order)
    prices = price_timeline(config).prices_in_window(window)
    weights = product_weights(config, catalog, window, prices)
    products, kept = _choose_products(rng, weights, state[line_order], line_order)
    quantity = rng.choice(len(truth.quantity_probs), size=len(products), p=truth.quantity_probs) + 1
    products, quantity, line_order = products[kept], quantity[kept], line_order[kept]
    line_offsets = np.concatenate([[0], np.cumsum(np.bincount(line_order, minlength=n))]).astype(np.int64)

    return OrderColumns(
        window=window,
        window_start=window_start_for(config, window),
        customer_window=customer_window,
        customer_seq=customer_seq,
        store=store,
        state=state,
        ordered_offset=offset,
        line_offsets=line_offsets,
        product=products,
        quantity=quantity.astype(np.int64),
        unit_price=prices[products],
    )


def orders_for_window(config: SimulationConfig, window_start: datetime) -> list[dict]:
    """The window's order documents, line items embedded, products and customers referenced by id."""
    columns = order_columns_for_window(config, window_start)
    product_ids = build_catalog(config).product_ids
    stores = store_ids(config)
    totals = columns.order_totals().tolist()
    products = [product_ids[p] for p in columns.product.tolist()]
    quantities = columns.quantity.tolist()
    unit_prices = columns.unit_price.tolist()
    bounds = columns.line_offsets.tolist()
    start = columns.window_start
    documents = []
    for i, (oid, cid, store, seconds) in enumerate(
        zip(
            columns.order_ids(),
            columns.customer_ids(),
            columns.store.tolist(),
            columns.ordered_offset.tolist(),
            strict=True,
        )
    ):
        lo, hi = bounds[i], bounds[i + 1]
        documents.append(
            {
                "_id": oid,
                "customer_id": cid,
                "store_id": stores[store],
                "ordered_at": start + timedelta(seconds=seconds),
                "status": "placed",
                "currency": "USD",
                "items": [
                    {
                        "line_number": j - lo + 1,
                        "product_id": products[j],
                        "quantity": quantities[j],
                        "unit_price": unit_prices[j],
                    }
                    for j in range(lo, hi)
                ],
                "order_total": totals[i],
            }
        )
    return documents
