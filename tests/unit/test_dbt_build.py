"""What each kind of run asks of dbt: a window run leaves the unit tests to the daily build."""

from __future__ import annotations

from shopease_platform.assets.dbt import build_args
from shopease_platform.definitions import build_definitions
from shopease_platform.orchestration.jobs import DAILY_BUILD_JOB
from shopease_platform.settings import Settings
from shopease_platform.window import dbt_window_env


def test_a_window_run_builds_without_the_unit_tests_and_a_run_without_a_window_with_them() -> None:
    assert build_args(dbt_window_env("2026-05-01-09:00", "2026-05-01-09:00")) == [
        "build", "--exclude-resource-type", "unit_test",
    ]  # fmt: skip
    assert build_args({}) == ["build"]


def test_the_daily_build_job_runs_dbt_and_delivery_and_no_window_asset() -> None:
    defs = build_definitions(Settings.from_env({}))
    job = defs.resolve_job_def(DAILY_BUILD_JOB)
    keys = {node.key for node in job.asset_layer.asset_graph.asset_nodes if node.is_executable}
    assert job.partitions_def is None
    assert {k.path[0] for k in keys} == {"seeds", "staging", "snapshots", "analytics", "delivery"}
