"""The online store S000 and one physical branch per city of `geography.BRANCH_CITIES`."""

from __future__ import annotations

import functools
from datetime import timedelta

import numpy as np

from shopease_platform.simulation.config import SimulationConfig
from shopease_platform.simulation.geography import BRANCH_CITIES, STATE_CODES, STATE_INDEX


def store_ids(config: SimulationConfig) -> tuple[str, ...]:
    return tuple(f"S{i:03d}" for i in range(len(BRANCH_CITIES) + 1))


@functools.lru_cache(maxsize=8)
def branch_of_state(config: SimulationConfig) -> np.ndarray:
    """Store index of each state's branch, -1 where the state has none."""
    branch = np.full(len(STATE_CODES), -1, dtype=np.int64)
    for i, (state, _) in enumerate(BRANCH_CITIES, start=1):
        branch[STATE_INDEX[state]] = i
    return branch


def build_stores(config: SimulationConfig) -> list[dict]:
    """Store documents; branches opened before ``start``, a year apart, in the order of the list."""
    online = {
        "_id": "S000",
        "name": "ShopEase Online",
        "kind": "online",
        "state": None,
        "city": None,
        "opened_at": config.start - timedelta(days=365 * 6),
    }
    branches = [
        {
            "_id": f"S{i:03d}",
            "name": f"ShopEase {city}",
            "kind": "branch",
            "state": state,
            "city": city,
            "opened_at": config.start - timedelta(days=365 * 5 - 120 * i),
        }
        for i, (state, city) in enumerate(BRANCH_CITIES, start=1)
    ]
    return [online, *branches]
