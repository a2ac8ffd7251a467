"""The window partitions: one Dagster partition per closed window (see `shopease_platform.window`).

Windowed assets are declared with `WINDOWED`, a fixed placeholder that reads no setting; `with_window_partitions`
gives them the partitions of a `Settings` value (from SHOPEASE_START_DATE) and their single-run backfill policy
when the definitions are built. So importing an asset module has no side effect, and definitions with different
start dates can live in one process.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import UTC, datetime

import dagster as dg
from dagster_shared.utils.warnings import BetaWarning

from shopease_platform.settings import Settings
from shopease_platform.window import KEY_FORMAT, WINDOW_CRON


def _windows_from(start: datetime) -> dg.TimeWindowPartitionsDefinition:
    return dg.TimeWindowPartitionsDefinition(cron_schedule=WINDOW_CRON, start=start, timezone="UTC", fmt=KEY_FORMAT)


WINDOWED = _windows_from(datetime(2000, 1, 1, tzinfo=UTC))
"""What a windowed asset is declared with; replaced by `with_window_partitions` before Dagster sees it."""


def build_window_partitions(settings: Settings) -> dg.TimeWindowPartitionsDefinition:
    """One partition per closed window from SHOPEASE_START_DATE; keys look like 2026-01-01-03:00."""
    return _windows_from(settings.start_date)


def with_window_partitions(
    assets: Sequence[dg.AssetsDefinition], partitions: dg.TimeWindowPartitionsDefinition
) -> list[dg.AssetsDefinition]:
    """The windowed assets on `partitions`, each range run as one run (the stores stream it in groups of windows).

    Single-run backfill policies are a beta Dagster feature the platform relies on on purpose; its warning is
    silenced here, where the policy is attached, and nowhere else.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=BetaWarning)
        return [
            asset.map_asset_specs(lambda spec: spec.replace_attributes(partitions_def=partitions)).with_attributes(
                backfill_policy=dg.BackfillPolicy.single_run()
            )
            if asset.partitions_def == WINDOWED
            else asset
            for asset in assets
        ]
