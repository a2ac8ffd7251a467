"""Schedule, late-orders sensor, freshness, retries and the webserver, through Dagster's own APIs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import dagster as dg
import psycopg
import pymongo
import pytest
from dagster._core.test_utils import freeze_time

from shopease_platform.orchestration.jobs import RELOAD_JOB, WINDOW_JOB
from shopease_platform.orchestration.sensors import build_late_orders_sensor, encode_cursor
from shopease_platform.resources import PostgresResource
from shopease_platform.services import Endpoints, ServiceError
from tests.e2e.conftest import Platform, small_platform, step_failure_message

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _schedule(platform: Platform) -> dg.ScheduleDefinition:
    return platform.with_test_resources().resolve_schedule_def("every_3_hours")


def _run_request_for_tick(platform: Platform, tick: datetime) -> dg.RunRequest:
    context = dg.build_schedule_context(instance=platform.instance, scheduled_execution_time=tick)
    requests = _schedule(platform).evaluate_tick(context).run_requests or []
    assert len(requests) == 1
    return requests[0]


def test_schedule_tick_targets_the_window_that_just_closed(platform: Platform) -> None:
    assert _schedule(platform).cron_schedule == "0 */3 * * *"
    assert _run_request_for_tick(platform, datetime(2026, 3, 2, 9, tzinfo=UTC)).partition_key == "2026-03-02-06:00"
    assert _run_request_for_tick(platform, datetime(2026, 3, 2, 0, tzinfo=UTC)).partition_key == "2026-03-01-21:00"


def _evaluate(sensor: dg.SensorDefinition, platform: Platform, cursor: str | None) -> dg.SensorResult:
    with dg.build_sensor_context(
        instance=platform.instance,
        cursor=cursor,
        resources={"mongo": platform.resources["mongo"], "postgres": platform.resources["postgres"]},
    ) as context:
        return sensor(context)


def _late_copy(db: pymongo.database.Database, window: datetime, suffix: str) -> None:
    template = db.orders.find_one({}, sort=[("_id", 1)])
    db.orders.insert_one({**template, "_id": f"LATE-{suffix}", "ordered_at": window + timedelta(minutes=7)})


def test_sensor_requests_exactly_the_late_windows_and_survives_restarts(
    services: Endpoints, isolated_stores: tuple[str, str]
) -> None:
    platform = small_platform(services, isolated_stores, SHOPEASE_SENSOR_POLL_SECONDS="1")
    assert platform.materialize_static().success
    assert platform.materialize_windows("2026-03-01-00:00", "2026-03-01-21:00").success
    sensor = build_late_orders_sensor(platform.settings, platform.defs.resolve_job_def(RELOAD_JOB))
    db = pymongo.MongoClient(services.mongodb_uri, tz_aware=True)[platform.mongo_database]

    first = _evaluate(sensor, platform, None)
    assert not first.run_requests
    assert first.cursor

    _late_copy(db, datetime(2026, 3, 1, 6, tzinfo=UTC), "a")
    second = _evaluate(sensor, platform, first.cursor)
    assert [r.partition_key for r in second.run_requests] == ["2026-03-01-06:00"]
    assert second.cursor != first.cursor

    third = _evaluate(sensor, platform, second.cursor)
    assert not third.run_requests

    _late_copy(db, datetime(2026, 3, 1, 15, tzinfo=UTC), "b")  # inserted while the sensor is "down"
    restarted = _evaluate(sensor, platform, third.cursor)
    assert [r.partition_key for r in restarted.run_requests] == ["2026-03-01-15:00"]

    reload = platform.materialize_windows(
        "2026-03-01-15:00", "2026-03-01-15:00", selection=dg.AssetSelection.groups("postgres_raw")
    )
    assert reload.success
    with psycopg.connect(platform.postgres_url) as conn:
        assert conn.execute("select count(*) from raw.orders where order_id = 'LATE-b'").fetchone()[0] == 1


def test_invalid_resume_token_falls_back_to_a_window_scan(
    services: Endpoints, isolated_stores: tuple[str, str]
) -> None:
    days = (datetime.now(UTC) - datetime(2026, 3, 1, tzinfo=UTC)).days + 2
    platform = small_platform(
        services, isolated_stores, SHOPEASE_SENSOR_POLL_SECONDS="1", SHOPEASE_SENSOR_RESCAN_DAYS=str(days)
    )
    assert platform.materialize_static().success
    assert platform.materialize_windows("2026-03-01-00:00", "2026-03-01-05:00").success
    db = pymongo.MongoClient(services.mongodb_uri, tz_aware=True)[platform.mongo_database]
    _late_copy(db, datetime(2026, 3, 1, 3, tzinfo=UTC), "c")
    bogus = encode_cursor({"_data": "00DEADBEEF"})  # not a resumable token: the stream refuses it
    sensor = build_late_orders_sensor(platform.settings, platform.defs.resolve_job_def(RELOAD_JOB))
    result = _evaluate(sensor, platform, bogus)
    assert [r.partition_key for r in result.run_requests] == ["2026-03-01-03:00"]
    assert result.cursor and result.cursor != bogus


class FlakyPostgres(PostgresResource):
    """The real server, but the first connection of the test fails like a dropped network connection."""

    failures_left: ClassVar[int] = 1

    def connect(self):
        if FlakyPostgres.failures_left > 0:
            FlakyPostgres.failures_left -= 1
            raise ServiceError("PostgreSQL at SHOPEASE_POSTGRES_URL is unreachable (injected): connection reset")
        return super().connect()


def test_a_transient_failure_is_retried_and_the_run_succeeds(platform: Platform) -> None:
    FlakyPostgres.failures_left = 1
    platform.resources["postgres"] = FlakyPostgres(url=platform.postgres_url)
    result = platform.materialize_static()
    assert result.success
    assert FlakyPostgres.failures_left == 0
    retried = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert retried


@pytest.mark.slow
def test_a_persistent_failure_ends_the_run_naming_the_server(platform: Platform) -> None:
    platform.resources["postgres"] = PostgresResource(
        url="postgresql://postgres@127.0.0.1:1/shopease", connect_timeout_s=1
    )
    started = time.monotonic()
    result = dg.materialize(
        [
            a
            for a in platform.assets(False)
            if dg.AssetKey(["raw", "stores"]) in a.keys or any(k.path[0] == "mongo" for k in a.keys)
        ],
        resources=platform.resources,
        instance=platform.instance,
        raise_on_error=False,
    )
    assert not result.success
    message = step_failure_message(result)
    assert "SHOPEASE_POSTGRES_URL" in message and "127.0.0.1:1" in message
    assert time.monotonic() - started < 120


@pytest.mark.slow
def test_ticks_update_every_asset_and_keep_the_marts_fresh(platform: Platform) -> None:
    """Two consecutive ticks through the whole graph; freshness is evaluated past the limit, then after a tick.

    Dagster's clock is moved forward for the stale evaluation (the servers and the data are real).
    """
    defs = platform.with_test_resources()
    graph = defs.resolve_asset_graph()
    mart = dg.AssetKey(["analytics", "mart_order_trend"])
    freshness = [k for k in graph.asset_check_keys if k.name == "freshness_check"]
    assert dg.AssetCheckKey(mart, "freshness_check") in freshness
    check_job = dg.Definitions(
        assets=defs.assets, asset_checks=defs.asset_checks, resources=platform.resources,
        jobs=[dg.define_asset_job("freshness", selection=dg.AssetSelection.checks(*freshness))],
    ).resolve_job_def("freshness")  # fmt: skip

    def fresh_at(moment: datetime) -> bool:
        with freeze_time(moment):
            result = check_job.execute_in_process(instance=platform.instance, raise_on_error=False)
        return {e.asset_key: e.passed for e in result.get_asset_check_evaluations()}[mart]

    def run_tick(tick: datetime) -> dg.ExecuteInProcessResult:
        request = _run_request_for_tick(platform, tick)
        result = platform.run_job(WINDOW_JOB, partition_key=request.partition_key, tags=request.tags)
        assert result.success
        return result

    tick = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    tick -= timedelta(hours=tick.hour % 3)
    first = run_tick(tick - timedelta(hours=3))
    materialized = {e.asset_key for e in first.get_asset_materialization_events()}
    assert set(graph.get_all_asset_keys()) <= materialized
    limit = timedelta(minutes=platform.settings.freshness_limit_minutes)
    assert fresh_at(datetime.now(UTC) + limit + timedelta(minutes=10)) is False

    run_tick(tick)
    assert fresh_at(datetime.now(UTC) + timedelta(minutes=1)) is True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_webserver_graphql_shows_the_graph_from_catalog_to_marts(services: Endpoints, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    webserver = Path(sys.executable).parent / "dagster-webserver"
    log = tmp_path / "webserver.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(webserver), "-h", "127.0.0.1", "-p", str(port), "-m", "shopease_platform.definitions"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        query = "{ assetNodes { assetKey { path } dependencyKeys { path } groupName } }"
        data = _graphql(port, query, deadline=time.monotonic() + 240, log=log)
    finally:
        process.terminate()
        process.wait(timeout=30)
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    for key in (
        "mongo/product_catalog",
        "mongo/raw_orders",
        "raw/orders",
        "staging/stg_orders",
        "analytics/fct_order_items",
        "analytics/mart_product_popularity",
        "analytics/mart_state_top_products",
    ):
        assert key in nodes  # fmt: skip
    parents = {key: {"/".join(d["path"]) for d in node["dependencyKeys"]} for key, node in nodes.items()}

    def ancestors(key: str) -> set[str]:
        seen, frontier = set(), [key]
        while frontier:
            for parent in parents.get(frontier.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    frontier.append(parent)
        return seen

    for mart in (k for k in nodes if k.startswith("analytics/mart_")):
        assert {"mongo/product_catalog", "mongo/raw_orders"} <= ancestors(mart), mart


def _graphql(port: int, query: str, deadline: float, log: Path) -> dict[str, Any]:
    body = json.dumps({"query": query}).encode()
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an HTTP proxy
    while True:
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/graphql", data=body, headers={"Content-Type": "application/json"}
            )
            with direct.open(request, timeout=30) as response:
                payload = json.loads(response.read())
            if payload.get("data", {}).get("assetNodes"):
                return payload["data"]
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"the Dagster webserver did not answer in time:\n{log.read_text()[-3000:]}")
        time.sleep(1)
