"""The window module: the one place that knows a window's length, alignment and names."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from shopease_platform.orchestration.partitions import build_window_partitions
from shopease_platform.settings import Settings
from shopease_platform.window import (
    WINDOW,
    dbt_window_env,
    is_window_start,
    partition_key,
    window_label,
    window_of,
    window_of_key,
    window_of_label,
    window_starts,
)

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "shopease_platform" / "window.py"

# What a second definition of the length or the key format would look like anywhere else.
REPEATS = re.compile(
    r"timedelta\(hours=3\b|\b3 \* 3600\b|\b10800\b|%Y-%m-%d-%H:%M|%Y-%m-%dT%H|load_window_hours:|binSize\": 3\b"
    r"|hour (//|%) 3\b"
    r"|^(WINDOW|WINDOW_HOURS|WINDOW_SECONDS|WINDOWS_PER_DAY|WINDOW_CRON|KEY_FORMAT|LABEL_FORMAT)\s*[:=]",
    re.MULTILINE,
)


def test_the_window_length_and_key_format_are_defined_in_the_window_module_only() -> None:
    sources = [*(ROOT / "shopease_platform").rglob("*.py"), *(ROOT / "dbt").glob("[!t]*/**/*.*")]
    sources.append(ROOT / "dbt" / "dbt_project.yml")
    repeated = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in sources
        if path != HOME and path.suffix in {".py", ".sql", ".yml"}
        for match in REPEATS.finditer(path.read_text())
    ]
    assert repeated == []
    assert REPEATS.search(HOME.read_text())


@pytest.mark.parametrize(
    ("moment", "start"),
    [
        (datetime(2026, 3, 1, 0, 0, tzinfo=UTC), datetime(2026, 3, 1, 0, 0, tzinfo=UTC)),
        (datetime(2026, 3, 1, 5, 59, 59, 999_999, tzinfo=UTC), datetime(2026, 3, 1, 3, 0, tzinfo=UTC)),
        (datetime(2026, 3, 1, 23, 0, tzinfo=UTC), datetime(2026, 3, 1, 21, 0, tzinfo=UTC)),
        (datetime(2026, 3, 1, 1, 30, tzinfo=UTC) + timedelta(hours=-5), datetime(2026, 2, 28, 18, 0, tzinfo=UTC)),
    ],
)
def test_window_of_aligns_on_utc_midnight(moment: datetime, start: datetime) -> None:
    assert window_of(moment) == start
    assert is_window_start(start) and not is_window_start(start + timedelta(minutes=1))


def test_keys_and_labels_round_trip() -> None:
    start = datetime(2026, 1, 1, 3, tzinfo=UTC)
    assert partition_key(start) == "2026-01-01-03:00" and window_of_key("2026-01-01-03:00") == start
    assert window_label(start) == "2026-01-01T03" and window_of_label("2026-01-01T03") == start


def test_the_partitions_name_and_cut_windows_as_the_window_module_does() -> None:
    partitions = build_window_partitions(Settings.from_env({"SHOPEASE_START_DATE": "2026-01-01"}))
    keys = partitions.get_partition_keys(current_time=datetime(2026, 1, 3, tzinfo=UTC))
    starts = list(window_starts(dg.TimeWindow(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC))))
    assert keys == [partition_key(s) for s in starts]
    assert all(partitions.time_window_for_partition_key(k).end - window_of_key(k) == WINDOW for k in keys)


def test_the_dbt_window_of_a_range_ends_after_its_last_window() -> None:
    assert dbt_window_env("2026-01-01-03:00", "2026-01-01-09:00") == {
        "SHOPEASE_DBT_WINDOW_START": "2026-01-01T03:00:00+00:00",
        "SHOPEASE_DBT_WINDOW_END": "2026-01-01T12:00:00+00:00",
    }
