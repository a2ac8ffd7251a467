"""Window groups (what a loader commits at once) and backfill runs: pure arithmetic over 3-hour windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg

from shopease_platform.orchestration.backfill import chunks
from shopease_platform.window import WINDOW, window_groups

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_groups_cover_the_range_in_order_without_gaps_or_overlaps() -> None:
    window = dg.TimeWindow(T0, T0 + 10 * WINDOW)
    groups = list(window_groups(window, 4))
    assert groups == [(T0, T0 + 4 * WINDOW), (T0 + 4 * WINDOW, T0 + 8 * WINDOW), (T0 + 8 * WINDOW, T0 + 10 * WINDOW)]


def test_one_window_is_one_group() -> None:
    assert list(window_groups(dg.TimeWindow(T0, T0 + WINDOW), 240)) == [(T0, T0 + WINDOW)]


def test_a_backfill_of_any_length_is_one_run_unless_chunked() -> None:
    last = T0 + timedelta(days=365) - WINDOW
    assert [(c.first, c.last, c.windows) for c in chunks(T0, last, 0)] == [(T0, last, 2920)]
    assert len(chunks(T0, last, 30)) == 13
