"""Every 3 hours (UTC), the window that just closed runs through the whole graph; freshness is checked hourly."""

from __future__ import annotations

import dagster as dg

from shopease_platform.orchestration.jobs import AssetJob


def build_schedules(window_job: AssetJob, freshness_job: AssetJob) -> list:
    # For a tick at 09:00 UTC the run targets the 06:00-09:00 window: the last one that is complete.
    window_schedule = dg.build_schedule_from_partitioned_job(
        window_job,
        name="every_3_hours",
        description="At 00, 03, ..., 21 UTC: the window that just closed, from simulation to delivery.",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    freshness_schedule = dg.ScheduleDefinition(
        name="hourly_freshness",
        job=freshness_job,
        cron_schedule="30 * * * *",
        execution_timezone="UTC",
        description="Freshness checks and dbt source freshness, half past every hour.",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    return [window_schedule, freshness_schedule]
