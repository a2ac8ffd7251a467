"""The simulation's windows: their index, their random streams and their expected volume.

Each window draws from its own generator seeded by ``(seed, stream, window index)``, so any window is computed
alone, in any order, and always gives the same result: re-materializing one partition never shifts another.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np

from shopease_platform.simulation.config import SimulationConfig
from shopease_platform.window import WINDOW, WINDOW_SECONDS, WINDOWS_PER_DAY, hour_slot

__all__ = ["WINDOW", "WINDOWS_PER_DAY", "WINDOW_SECONDS"]
DAYS_PER_YEAR = 365.2425

# Independent random streams; the numbers are part of the data contract (changing one changes the data).
STREAM_CATALOG = 1
STREAM_PRICES = 2
STREAM_TASTE = 3
STREAM_CUSTOMERS = 10
STREAM_IDENTITIES = 11
STREAM_ORDERS = 20
STREAM_RESTOCKS = 30


def window_index(config: SimulationConfig, window_start: datetime) -> int:
    """Position of the window starting at ``window_start`` (0 = ``config.start``); it must be a window boundary."""
    if window_start.tzinfo is None:
        raise ValueError(f"window start {window_start!r} must be timezone-aware (UTC)")
    seconds = (window_start - config.start).total_seconds()
    if seconds < 0 or seconds % WINDOW_SECONDS:
        raise ValueError(
            f"{window_start.isoformat()} is not a 3-hour window boundary at or after {config.start.isoformat()}"
        )
    return int(seconds // WINDOW_SECONDS)


def window_start_for(config: SimulationConfig, index: int) -> datetime:
    """Start of window ``index``."""
    return config.start + index * WINDOW


def rng_for(config: SimulationConfig, stream: int, index: int = 0) -> np.random.Generator:
    """The generator of one stream in one window."""
    return np.random.default_rng([config.seed, stream, index])


def volume_multiplier(config: SimulationConfig, window_start: datetime) -> float:
    """Hour-of-day x weekday x month x growth shaping of a window's expected volume."""
    truth = config.ground_truth
    moment = window_start.astimezone(UTC)
    years = (moment - config.start).total_seconds() / 86400.0 / DAYS_PER_YEAR
    return (
        truth.hour_curve[hour_slot(moment)]
        * truth.weekday_factors[moment.weekday()]
        * truth.season_curve[moment.month - 1]
        * math.exp(math.log1p(truth.annual_growth) * years)
    )


def days_since_start(config: SimulationConfig, moment: datetime) -> float:
    """Fractional days from ``config.start`` to ``moment``."""
    return (moment - config.start).total_seconds() / 86400.0
