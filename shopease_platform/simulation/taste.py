"""Regional taste: how much more (or less) each state buys of each category than the country as a whole."""

from __future__ import annotations

import functools

import numpy as np

from shopease_platform.simulation.config import SimulationConfig
from shopease_platform.simulation.geography import POPULATION_WEIGHTS
from shopease_platform.simulation.windows import STREAM_TASTE, rng_for


@functools.lru_cache(maxsize=8)
def regional_taste(config: SimulationConfig) -> np.ndarray:
    """(state, category) multipliers, lognormal, with a population-weighted mean of 1 per category."""
    truth = config.ground_truth
    rng = rng_for(config, STREAM_TASTE)
    taste = rng.lognormal(0.0, truth.regional_taste_strength, (len(POPULATION_WEIGHTS), len(truth.categories)))
    return taste / (POPULATION_WEIGHTS[:, None] * taste).sum(axis=0, keepdims=True)
