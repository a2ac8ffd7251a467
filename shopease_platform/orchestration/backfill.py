"""Run the whole graph (or a part of it) over a range of windows, in a few single-run ranges, with progress.

`make demo` and `shopease backfill` both come here. By default a range of any length is ONE Dagster run over its
windows (the assets' single-run backfill policies): dbt builds once, and the stores stream the range in groups of
windows, so memory stays flat however long it is. `SHOPEASE_BACKFILL_CHUNK_DAYS` > 0 cuts it into runs of that
many days instead (each pays a dbt build). Progress is printed per run: windows done / total, windows per minute,
ETA.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dagster as dg

from shopease_platform.window import WINDOW, partition_key, window_of, window_of_key

RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


@dataclass(frozen=True)
class Chunk:
    first: datetime
    last: datetime

    @property
    def windows(self) -> int:
        return int((self.last - self.first) / WINDOW) + 1

    @property
    def tags(self) -> dict[str, str]:
        return dict(zip(RANGE_TAGS, (partition_key(self.first), partition_key(self.last)), strict=True))


def parse_window(text: str, last_of_day: bool = False) -> datetime:
    """A partition key (`2026-03-01-06:00`) or an ISO date/time, snapped to its window start (UTC).

    With ``last_of_day``, a bare date means that day's last window (21:00), so `--end 2026-10-30` includes the day.
    """
    for parse in (window_of_key, datetime.fromisoformat):
        try:
            moment = parse(text)
            break
        except ValueError:
            continue
    else:
        raise ValueError(f"not a window key or ISO date: {text!r}")
    window = window_of(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return window + timedelta(days=1) - WINDOW if last_of_day and len(text.strip()) == 10 else window


def chunks(first: datetime, last: datetime, chunk_days: int) -> list[Chunk]:
    """Consecutive ranges of at most ``chunk_days`` days covering the windows first..last (inclusive); 0: one range."""
    if last < first:
        raise ValueError(f"the range ends ({last.isoformat()}) before it starts ({first.isoformat()})")
    if chunk_days <= 0:
        return [Chunk(first, last)]
    out, start, step = [], first, timedelta(days=chunk_days)
    while start <= last:
        end = min(start + step - WINDOW, last)
        out.append(Chunk(start, end))
        start = end + WINDOW
    return out


def run_range(
    run_chunk: Callable[[Chunk], dg.ExecuteInProcessResult],
    first: datetime,
    last: datetime,
    chunk_days: int,
    report: Callable[[str], None] = print,
) -> list[dg.ExecuteInProcessResult]:
    """Run every chunk in order, stopping at the first failed run; prints progress after each chunk."""
    plan = chunks(first, last, chunk_days)
    total = sum(c.windows for c in plan)
    report(f"{total} windows ({partition_key(first)} .. {partition_key(last)}) in {len(plan)} run(s)")
    started, done, results = time.monotonic(), 0, []
    for number, chunk in enumerate(plan, start=1):
        result = run_chunk(chunk)
        results.append(result)
        if not result.success:
            report(f"run {number}/{len(plan)} failed ({chunk.tags}): see run {result.run_id}")
            break
        done += chunk.windows
        elapsed = time.monotonic() - started
        rate = done / elapsed * 60
        report(
            f"run {number}/{len(plan)} done: {done}/{total} windows, {rate:,.0f} windows/min, "
            f"ETA {(total - done) / max(rate, 1e-9):.1f} min"
        )
    return results
