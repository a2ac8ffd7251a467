"""The load window: 3 hours of UTC time, the unit of idempotence everywhere (simulate, write, load, model).

Everything that knows how long a window is, where one starts, or how one is named asks this module: the
simulation, the MongoDB and S3 stores, the ETL, the Dagster partitions, sensors and backfills, the CLI, and dbt
(through the environment variables `dbt_env` and `dbt_window_env` give it). It imports nothing of the project,
so every layer can import it.

Windows are aligned on UTC midnight: 00:00, 03:00, ..., 21:00.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Protocol

WINDOW_HOURS = 3
WINDOW = timedelta(hours=WINDOW_HOURS)
WINDOW_SECONDS = WINDOW_HOURS * 3600
WINDOWS_PER_DAY = 24 // WINDOW_HOURS
WINDOW_CRON = f"0 */{WINDOW_HOURS} * * *"

KEY_FORMAT = "%Y-%m-%d-%H:%M"
"""Dagster partition keys: `2026-01-01-03:00` is the window 03:00-06:00 UTC of that day."""
LABEL_FORMAT = "%Y-%m-%dT%H"
"""The S3 raw store's Hive-style folder value: `orders/window=2026-01-01T03/`."""

DBT_WINDOW_HOURS = "SHOPEASE_DBT_WINDOW_HOURS"
DBT_WINDOW_START = "SHOPEASE_DBT_WINDOW_START"
DBT_WINDOW_END = "SHOPEASE_DBT_WINDOW_END"


class Span(Protocol):
    """A [start, end) range of whole windows, such as a Dagster partition's `TimeWindow`."""

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


def window_of(moment: datetime) -> datetime:
    """Start of the window holding ``moment`` (UTC)."""
    moment = moment.astimezone(UTC)
    return moment.replace(hour=moment.hour - moment.hour % WINDOW_HOURS, minute=0, second=0, microsecond=0)


def is_window_start(moment: datetime) -> bool:
    """Whether ``moment`` is exactly where a window begins."""
    return window_of(moment) == moment


def hour_slot(moment: datetime) -> int:
    """Which window of its UTC day ``moment`` falls in (0 for 00:00-03:00, ..., 7 for 21:00-24:00)."""
    return moment.astimezone(UTC).hour // WINDOW_HOURS


def partition_key(window_start: datetime) -> str:
    """The Dagster partition key of the window starting at ``window_start``."""
    return window_start.astimezone(UTC).strftime(KEY_FORMAT)


def window_of_key(key: str) -> datetime:
    """The window start a partition key names."""
    return datetime.strptime(key, KEY_FORMAT).replace(tzinfo=UTC)


def window_label(window_start: datetime) -> str:
    """The S3 folder value (`2026-11-01T06`) of the window starting at ``window_start``."""
    return window_start.astimezone(UTC).strftime(LABEL_FORMAT)


def window_of_label(label: str) -> datetime:
    return datetime.strptime(label, LABEL_FORMAT).replace(tzinfo=UTC)


def window_starts(span: Span) -> Iterator[datetime]:
    """Every window start inside a (possibly multi-window) range."""
    start = datetime.fromtimestamp(span.start.timestamp(), UTC)
    end = datetime.fromtimestamp(span.end.timestamp(), UTC)
    while start < end:
        yield start
        start += WINDOW


def window_groups(span: Span, windows_per_group: int) -> Iterator[tuple[datetime, datetime]]:
    """Consecutive [start, end) ranges of at most `windows_per_group` windows covering a range.

    A group is what a loader commits at once: its fixed costs (transaction, deletes, COPY set-up) are paid
    once per group instead of once per window, and a failure leaves each group either as it was or complete.
    """
    starts = list(window_starts(span))
    for first in range(0, len(starts), windows_per_group):
        group = starts[first : first + windows_per_group]
        yield group[0], group[-1] + WINDOW


def dbt_env() -> dict[str, str]:
    """What every dbt invocation needs to know of the window: its length (the `load_window_start` macro)."""
    return {DBT_WINDOW_HOURS: str(WINDOW_HOURS)}


def dbt_window_env(first_key: str, last_key: str) -> dict[str, str]:
    """The windows first..last (partition keys, inclusive) as the [start, end) dbt's `load_window` reads."""
    start, end = window_of_key(first_key), window_of_key(last_key) + WINDOW
    return {DBT_WINDOW_START: start.isoformat(), DBT_WINDOW_END: end.isoformat()}
