"""3-hour UTC windows: the unit of idempotence everywhere (simulate, write, load and model by window)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dagster as dg

from shopease_platform.settings import Settings

WINDOW = timedelta(hours=3)
WINDOW_CRON = "0 */3 * * *"


def build_window_partitions(settings: Settings) -> dg.TimeWindowPartitionsDefinition:
    """One partition per closed 3-hour window from SHOPEASE_START_DATE; keys look like 2026-01-01-03:00."""
    return dg.TimeWindowPartitionsDefinition(
        cron_schedule=WINDOW_CRON,
        start=settings.start_date,
        timezone="UTC",
        fmt="%Y-%m-%d-%H:%M",
    )


def window_starts(time_window: dg.TimeWindow) -> Iterator[datetime]:
    """Every window start inside a (possibly multi-window) partition range."""
    start = datetime.fromtimestamp(time_window.start.timestamp(), UTC)
    end = datetime.fromtimestamp(time_window.end.timestamp(), UTC)
    while start < end:
        yield start
        start += WINDOW


def window_groups(time_window: dg.TimeWindow, windows_per_group: int) -> Iterator[tuple[datetime, datetime]]:
    """Consecutive [start, end) ranges of at most `windows_per_group` windows covering a partition range.

    A group is what a loader commits at once: its fixed costs (transaction, deletes, COPY set-up) are paid
    once per group instead of once per window, and a failure leaves each group either as it was or complete.
    """
    starts = list(window_starts(time_window))
    for first in range(0, len(starts), windows_per_group):
        group = starts[first : first + windows_per_group]
        yield group[0], group[-1] + WINDOW


window_partitions = build_window_partitions(Settings.from_env())
