"""Jobs: the whole graph for a window, the part downstream of MongoDB for late orders, the daily build, and
freshness.

A window run tests only the rows its window rebuilt and skips dbt's unit tests (assets/dbt.py); the daily build
runs dbt without a window, so every data test checks whole tables and the unit tests run, once a day.

Freshness checks measure the graph from outside, so they are not part of the window runs: their own job runs
them (hourly schedule), and the freshness sensor evaluates Dagster's last-update checks as time passes.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

# `define_asset_job` returns this type; Dagster does not export its name at the top level.
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition as AssetJob

MONGO_ASSETS = dg.AssetSelection.groups("mongo_raw", "s3_raw")  # the raw store, either version
WINDOW_JOB = "shopease_window_job"
RELOAD_JOB = "shopease_reload_window_job"
FRESHNESS_JOB = "shopease_freshness_job"
DAILY_BUILD_JOB = "shopease_daily_build_job"


def build_jobs(freshness_checks: Sequence[dg.AssetChecksDefinition], dbt_assets: dg.AssetsDefinition) -> list[AssetJob]:
    """(window job, reload job, freshness job, daily build job); all but the freshness job leave freshness out."""
    freshness = dg.AssetSelection.checks(*freshness_checks)
    return [
        dg.define_asset_job(
            WINDOW_JOB,
            selection=dg.AssetSelection.all() - freshness,
            description="Simulate, land in MongoDB, load PostgreSQL raw, build dbt and delivery for a window or range.",
        ),
        dg.define_asset_job(
            RELOAD_JOB,
            selection=dg.AssetSelection.all() - MONGO_ASSETS - freshness,
            description="Reload a window already in MongoDB into PostgreSQL and rebuild everything downstream.",
        ),
        dg.define_asset_job(
            FRESHNESS_JOB,
            selection=freshness,
            description="Dagster last-update freshness checks and `dbt source freshness` on the raw tables.",
        ),
        dg.define_asset_job(
            DAILY_BUILD_JOB,
            selection=dg.AssetSelection.assets(dbt_assets).downstream() - freshness,
            description="dbt build without a window (every data test on whole tables, the unit tests) and delivery.",
        ),
    ]
