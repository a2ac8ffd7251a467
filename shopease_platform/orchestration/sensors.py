"""Sensors: late orders from MongoDB's change stream, and a clear record of every failed run.

The late-orders sensor keeps the change stream's resume token as its cursor and advances it after every poll,
empty ones included, so a restarted daemon neither misses nor repeats an insert. It requests the reload job
(PostgreSQL raw and everything downstream) only for closed windows whose MongoDB order count PostgreSQL does
not account for, with a run key per (window, count) so the same difference is never requested twice. An
invalid or expired token is never skipped silently: the sensor logs it, compares every window of the last
`SHOPEASE_SENSOR_RESCAN_DAYS` days instead, and restarts the stream from the present.
"""

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
from bson import json_util

from shopease_platform.mongo_store.change_stream import ResumeTokenInvalid, poll_new_orders
from shopease_platform.orchestration.jobs import AssetJob
from shopease_platform.orchestration.late_orders import windows_behind
from shopease_platform.resources import MongoResource, PostgresResource
from shopease_platform.settings import Settings
from shopease_platform.window import WINDOW, WINDOWS_PER_DAY, partition_key, window_of

LATE_ORDERS_SENSOR = "late_orders_from_change_stream"


def encode_cursor(token: dict | None) -> str:
    return json.dumps({"resume_token": json.loads(json_util.dumps(token)) if token else None})


def decode_cursor(cursor: str | None) -> dict | None:
    if not cursor:
        return None
    token = json.loads(cursor).get("resume_token")
    return json_util.loads(json.dumps(token)) if token else None


def build_late_orders_sensor(settings: Settings, reload_job: AssetJob) -> dg.SensorDefinition:
    first_window = settings.start_date

    @dg.sensor(
        name=LATE_ORDERS_SENSOR,
        job=reload_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Reloads the windows whose orders arrived in MongoDB after their load (change stream).",
    )
    def late_orders(
        context: dg.SensorEvaluationContext, mongo: MongoResource, postgres: PostgresResource
    ) -> dg.SensorResult:
        db = mongo.get_database()
        now = datetime.now(UTC)
        try:
            poll = poll_new_orders(db, decode_cursor(context.cursor), max_seconds=settings.sensor_poll_seconds)
            touched = {window_of(o["ordered_at"]) for o in poll.orders if isinstance(o.get("ordered_at"), datetime)}
            how = f"{len(poll.orders)} new orders from the change stream"
        except ResumeTokenInvalid as error:
            context.log.warning(
                f"{error}; comparing every window of the last {settings.sensor_rescan_days} days instead and "
                "restarting the change stream from now"
            )
            poll = poll_new_orders(db, None, max_seconds=min(settings.sensor_poll_seconds, 1.0))
            since = window_of(now - timedelta(days=settings.sensor_rescan_days))
            touched = {since + WINDOW * i for i in range(settings.sensor_rescan_days * WINDOWS_PER_DAY + 1)}
            how = "window scan after an invalid resume token"
        with postgres.connect() as conn:
            behind = windows_behind(db, conn, touched, closed_before=now, first=first_window)
        requests = [
            dg.RunRequest(
                partition_key=partition_key(window),
                run_key=f"{partition_key(window)}:{count}",
                tags={"shopease/trigger": "late_orders", "shopease/mongo_orders": str(count)},
            )
            for window, count in sorted(behind.items())
        ]
        context.log.info(f"{how}: {len(touched)} windows touched, {len(requests)} behind PostgreSQL")
        return dg.SensorResult(run_requests=requests, cursor=encode_cursor(poll.resume_token))

    return late_orders


@dg.run_failure_sensor(
    name="record_run_failures",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Writes one clear line per failed run (job, partition, failing step and its error) to the log.",
)
def record_run_failures(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    steps = context.get_step_failure_events()
    detail = "; ".join(
        f"{event.step_key}: {event.event_specific_data.error.message.strip()}"
        for event in steps
        if event.event_specific_data is not None and event.event_specific_data.error is not None
    )
    partition = run.tags.get("dagster/partition") or "-".join(
        filter(
            None,
            (run.tags.get("dagster/asset_partition_range_start"), run.tags.get("dagster/asset_partition_range_end")),
        )
    )
    context.log.error(
        f"run {run.run_id} of {run.job_name} failed (windows {partition or 'n/a'}): "
        f"{detail or context.failure_event.message}"
    )
