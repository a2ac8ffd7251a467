"""New customers per window, and the pool returning customers are drawn from.

A window's sign-ups (how many, where they live, how likely they come back) are numpy draws from the window's
own stream, cheap enough to recompute for every earlier window. Identities (names, emails, street addresses)
are composed from Faker's data by customer id (`identities`), and are only produced when documents are written.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from shopease_platform.simulation.config import SimulationConfig
from shopease_platform.simulation.geography import POPULATION_WEIGHTS, STATE_CODES
from shopease_platform.simulation.identities import identities
from shopease_platform.simulation.ids import CUSTOMER_ID
from shopease_platform.simulation.windows import (
    STREAM_CUSTOMERS,
    WINDOW_SECONDS,
    rng_for,
    volume_multiplier,
    window_index,
    window_start_for,
)


@dataclass(frozen=True)
class Cohort:
    """The customers who signed up in one window, as columns."""

    window: int
    created_offset: np.ndarray
    """Seconds after the window start, ascending (customer ``seq`` order)."""
    state: np.ndarray
    """Index into `geography.STATES`."""
    propensity: np.ndarray
    """Kumaraswamy draw in (0, 1): how strongly the customer comes back."""
    places_first_order: np.ndarray
    """Whether the customer orders in the sign-up window; the others never order."""

    def __len__(self) -> int:
        return len(self.created_offset)


@functools.lru_cache(maxsize=200_000)
def cohort(config: SimulationConfig, window: int) -> Cohort:
    """Sign-ups of window ``window`` (cached; recomputed cheaply when evicted)."""
    truth = config.ground_truth
    rng = rng_for(config, STREAM_CUSTOMERS, window)
    lam = config.base_new_customers_per_window * volume_multiplier(config, window_start_for(config, window))
    n = int(rng.poisson(lam))
    a, b = truth.repeat_propensity_shape
    return Cohort(
        window=window,
        created_offset=np.sort(rng.integers(0, WINDOW_SECONDS, n)),
        state=rng.choice(len(STATE_CODES), size=n, p=POPULATION_WEIGHTS),
        propensity=(1.0 - (1.0 - rng.random(n)) ** (1.0 / b)) ** (1.0 / a),
        places_first_order=rng.random(n) < truth.first_order_share,
    )


@dataclass(frozen=True)
class ReturningPool:
    """Every customer who signed up before a window and placed a first order, as columns."""

    window: np.ndarray
    seq: np.ndarray
    state: np.ndarray
    weight: np.ndarray
    """Propensity x recency: the chance, up to a constant, of placing one of the window's returning orders."""


class _CohortHistory:
    """Concatenated sign-ups of windows 0..n-1, grown on demand, so a window's pool is a prefix slice.

    Customer ``(window, seq)`` is row ``bounds[window] + seq``. `propensity` is every customer's own;
    `returning` is zero for those who never order. Growth holds a lock and publishes `bounds` last, so a thread
    that reads after `extend_to` returns always finds the rows it asked for.
    """

    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        self.lock = threading.Lock()
        self.bounds = np.zeros(1, dtype=np.int64)
        self.window = self.seq = self.state = self.offset = np.zeros(0, dtype=np.int64)
        self.propensity = self.returning = np.zeros(0)

    def extend_to(self, window: int) -> None:
        if window <= len(self.bounds) - 1:
            return
        with self.lock:
            built = len(self.bounds) - 1
            if window > built:
                self._append(built, window)

    def _append(self, built: int, window: int) -> None:
        cohorts = [cohort(self.config, k) for k in range(built, window)]
        sizes = np.array([len(c) for c in cohorts], dtype=np.int64)
        self.window = np.concatenate([self.window, np.repeat(np.arange(built, window, dtype=np.int64), sizes)])
        self.seq = np.concatenate([self.seq, *[np.arange(len(c), dtype=np.int64) for c in cohorts]])
        self.state = np.concatenate([self.state, *[c.state for c in cohorts]])
        self.offset = np.concatenate([self.offset, *[c.created_offset for c in cohorts]])
        self.propensity = np.concatenate([self.propensity, *[c.propensity for c in cohorts]])
        self.returning = np.concatenate(
            [self.returning, *[np.where(c.places_first_order, c.propensity, 0.0) for c in cohorts]]
        )
        self.bounds = np.concatenate([self.bounds, self.bounds[-1] + np.cumsum(sizes)])


@functools.lru_cache(maxsize=8)
def _history(config: SimulationConfig) -> _CohortHistory:
    return _CohortHistory(config)


def returning_pool(config: SimulationConfig, window: int) -> ReturningPool:
    """Customers eligible to place a returning order in window ``window``."""
    truth = config.ground_truth
    history = _history(config)
    history.extend_to(window)
    size = int(history.bounds[window])
    windows = history.window[:size]
    age_days = ((window - windows) * WINDOW_SECONDS - history.offset[:size]) / 86400.0
    floor = truth.returning_recency_floor
    recency = floor + (1.0 - floor) * np.exp(-age_days / truth.returning_recency_days)
    return ReturningPool(windows, history.seq[:size], history.state[:size], history.returning[:size] * recency)


def _documents(config: SimulationConfig, windows: np.ndarray, seqs: np.ndarray) -> list[dict]:
    """Customer documents of ``(windows[i], seqs[i])``: sign-up facts from the cohorts, identity by id."""
    history = _history(config)
    history.extend_to(int(windows.max()) + 1 if len(windows) else 0)
    rows = history.bounds[windows] + seqs
    if len(rows) and np.any(seqs >= history.bounds[windows + 1] - history.bounds[windows]):
        raise ValueError("a customer id names a sequence number its window never signed up")
    states = history.state[rows]
    who = identities(config.seed, windows, seqs, states)
    created = (windows * WINDOW_SECONDS + history.offset[rows]).tolist()
    start = config.start
    return [
        {
            "_id": cid,
            "first_name": first,
            "last_name": last,
            "email": email,
            "phone": phone,
            "address": {"street": street, "city": city, "state": STATE_CODES[state], "postal_code": postal_code},
            "created_at": start + timedelta(seconds=seconds),
            "repeat_propensity": round(propensity, 4),
        }
        for cid, first, last, email, phone, street, city, state, postal_code, seconds, propensity in zip(
            CUSTOMER_ID.strings(windows, seqs),
            who.first_name,
            who.last_name,
            who.email,
            who.phone,
            who.street,
            who.city,
            states.tolist(),
            who.postal_code,
            created,
            history.propensity[rows].tolist(),
            strict=True,
        )
    ]


def customers_for_window(config: SimulationConfig, window_start: datetime) -> list[dict]:
    """Customer documents (address embedded) of everyone who signed up in this window."""
    window = window_index(config, window_start)
    size = len(cohort(config, window))
    return _documents(config, np.full(size, window, dtype=np.int64), np.arange(size, dtype=np.int64))


def customer_documents(config: SimulationConfig, ids: list[str]) -> list[dict]:
    """The documents of the given customer ids, regenerated exactly from the window and sequence in the id."""
    windows, seqs = CUSTOMER_ID.parse(ids)
    return _documents(config, windows, seqs)
