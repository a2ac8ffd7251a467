"""The window partitions: one Dagster partition per closed window (see `shopease_platform.window`)."""

from __future__ import annotations

import dagster as dg

from shopease_platform.settings import Settings
from shopease_platform.window import KEY_FORMAT, WINDOW_CRON


def build_window_partitions(settings: Settings) -> dg.TimeWindowPartitionsDefinition:
    """One partition per closed window from SHOPEASE_START_DATE; keys look like 2026-01-01-03:00."""
    return dg.TimeWindowPartitionsDefinition(
        cron_schedule=WINDOW_CRON, start=settings.start_date, timezone="UTC", fmt=KEY_FORMAT
    )


window_partitions = build_window_partitions(Settings.from_env())
