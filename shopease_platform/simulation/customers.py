"""New customers per window, and the pool returning customers are drawn from.

A window's sign-ups (how many, where they live, how likely they come back) are numpy draws from the window's
own stream, cheap enough to recompute for every earlier window. Identities (names, emails, street addresses)
come from Faker, seeded per window, and are only produced when documents are written.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from faker import Faker

from shopease_platform.simulation.config import SimulationConfig
from shopease_platform.simulation.geography import POPULATION_WEIGHTS, STATE_CODES
from shopease_platform.simulation.ids import customer_id
from shopease_platform.simulation.windows import (
    STREAM_CUSTOMERS,
    STREAM_IDENTITIES,
    WINDOW_SECONDS,
    rng_for,
    volume_multiplier,
    window_index,
    window_start_for,
)

_FAKER = Faker("en_US")


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
    """Concatenated sign-ups of windows 0..n-1, grown on demand, so a window's pool is a prefix slice."""

    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        self.bounds = np.zeros(1, dtype=np.int64)
        self.window = self.seq = self.state = self.offset = np.zeros(0, dtype=np.int64)
        self.propensity = np.zeros(0)

    def extend_to(self, window: int) -> None:
        built = len(self.bounds) - 1
        if window <= built:
            return
        cohorts = [cohort(self.config, k) for k in range(built, window)]
        sizes = np.array([len(c) for c in cohorts], dtype=np.int64)
        self.bounds = np.concatenate([self.bounds, self.bounds[-1] + np.cumsum(sizes)])
        self.window = np.concatenate([self.window, np.repeat(np.arange(built, window, dtype=np.int64), sizes)])
        self.seq = np.concatenate([self.seq, *[np.arange(len(c), dtype=np.int64) for c in cohorts]])
        self.state = np.concatenate([self.state, *[c.state for c in cohorts]])
        self.offset = np.concatenate([self.offset, *[c.created_offset for c in cohorts]])
        self.propensity = np.concatenate(
            [self.propensity, *[np.where(c.places_first_order, c.propensity, 0.0) for c in cohorts]]
        )


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
    return ReturningPool(windows, history.seq[:size], history.state[:size], history.propensity[:size] * recency)


def _identity(fake: Faker, state: str, window: int, seq: int) -> dict:
    first, last = fake.first_name(), fake.last_name()
    try:
        postal_code = fake.zipcode_in_state(state_abbr=state)
    except (AttributeError, KeyError):
        postal_code = fake.zipcode()
    return {
        "first_name": first,
        "last_name": last,
        "email": f"{first}.{last}.{window:x}{seq:03x}@{fake.safe_domain_name()}".lower(),
        "phone": fake.numerify("(###) ###-####"),
        "address": {"street": fake.street_address(), "city": fake.city(), "state": state, "postal_code": postal_code},
    }


@functools.lru_cache(maxsize=4096)
def _window_customers(config: SimulationConfig, window: int) -> tuple[dict, ...]:
    signups = cohort(config, window)
    fake = _FAKER
    fake.seed_instance(int(rng_for(config, STREAM_IDENTITIES, window).integers(0, 2**62)))
    start = window_start_for(config, window)
    documents = []
    for seq in range(len(signups)):
        document = {"_id": customer_id(window, seq)}
        document.update(_identity(fake, STATE_CODES[int(signups.state[seq])], window, seq))
        document["created_at"] = start + timedelta(seconds=int(signups.created_offset[seq]))
        document["repeat_propensity"] = round(float(signups.propensity[seq]), 4)
        documents.append(document)
    return tuple(documents)


def customers_for_window(config: SimulationConfig, window_start: datetime) -> list[dict]:
    """Customer documents (address embedded) of everyone who signed up in this window."""
    return [dict(d, address=dict(d["address"])) for d in _window_customers(config, window_index(config, window_start))]


def customer_documents(config: SimulationConfig, ids: list[str]) -> list[dict]:
    """The documents of the given customer ids, regenerated exactly from the window and sequence in the id."""
    documents = []
    for cid in ids:
        _, window, seq = cid.split("-")
        window_docs = _window_customers(config, int(window))
        document = window_docs[int(seq)]
        documents.append(dict(document, address=dict(document["address"])))
    return documents
