"""Every 3 hours (UTC), the window that just closed runs through the whole graph; once a day, dbt builds and
tests whole tables; freshness is checked hourly."""

from __future__ import annotations

import dagster as dg

from shopease_platform.orchestration.jobs import AssetJob


def _utc_schedule(name: str, job: AssetJob, cron: str, description: str) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=name,
        job=job,
        cron_schedule=cron,
        execution_timezone="UTC",
        description=description,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )


def build_schedules(window_job: AssetJob, freshness_job: AssetJob, daily_build_job: AssetJob) -> list:
    # For a tick at 09:00 UTC the run targets the 06:00-09:00 window: the last one that is complete.
    window_schedule = dg.build_schedule_from_partitioned_job(
        window_job,
        name="every_3_hours",
        description="At 00, 03, ..., 21 UTC: the window that just closed, from simulation to delivery.",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    return [
        window_schedule,
        _utc_schedule(
            "hourly_freshness", freshness_job, "30 * * * *",
            "Freshness checks and dbt source freshness, half past every hour.",
        ),
        # Between the 03:00 and the 06:00 ticks, and off the freshness job's half hour.
        _utc_schedule(
            "daily_full_build", daily_build_job, "15 4 * * *",
            "dbt build of whole tables (every data test, the unit tests), then delivery, at 04:15 UTC.",
        ),
    ]  # fmt: skip
