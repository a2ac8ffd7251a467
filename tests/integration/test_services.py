"""The embedded servers behave as the platform needs: replica-set features, schemas, idempotent up, clean down."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import psycopg
import pymongo
import pytest

from shopease_platform.services import Endpoints, ServiceError, ServiceManager, postgres
from shopease_platform.services.state import StateFile
from shopease_platform.settings import Settings

pytestmark = pytest.mark.integration


def _shopease(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopease_platform.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPEASE_") and k != "DAGSTER_HOME"}
    env["SHOPEASE_HOME"] = str(home)
    return env


def _server_pids() -> set[int]:
    pids = set()
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if process.info["name"] in ("mongod", "postgres") and ("--dbpath" in cmdline or " -D " in cmdline):
            pids.add(process.pid)
    return pids


def test_multi_document_transaction_commits(services: Endpoints) -> None:
    client: pymongo.MongoClient = pymongo.MongoClient(services.mongodb_uri)
    db = client["services_test"]
    db.accounts.drop()
    db.accounts.insert_many([{"_id": "a", "balance": 100}, {"_id": "b", "balance": 0}])
    with client.start_session() as session, session.start_transaction():
        db.accounts.update_one({"_id": "a"}, {"$inc": {"balance": -40}}, session=session)
        db.accounts.update_one({"_id": "b"}, {"$inc": {"balance": 40}}, session=session)
    assert {d["_id"]: d["balance"] for d in db.accounts.find()} == {"a": 60, "b": 40}
    client.close()


def test_change_stream_yields_inserted_document(services: Endpoints) -> None:
    client: pymongo.MongoClient = pymongo.MongoClient(services.mongodb_uri)
    collection = client["services_test"]["events"]
    collection.drop()
    with collection.watch(max_await_time_ms=500) as stream:
        threading.Timer(0.3, lambda: collection.insert_one({"_id": "evt-1"})).start()
        deadline = time.monotonic() + 20
        change = None
        while change is None and time.monotonic() < deadline:
            change = stream.try_next()
    assert change is not None
    assert change["operationType"] == "insert"
    assert change["documentKey"]["_id"] == "evt-1"
    client.close()


def test_postgres_has_warehouse_schemas_and_dagster_database(services: Endpoints) -> None:
    with psycopg.connect(services.postgres_url) as conn:
        schemas = {row[0] for row in conn.execute("select schema_name from information_schema.schemata")}
        assert {"raw", "staging", "analytics"} <= schemas
        assert conn.execute("show timezone").fetchone()[0] == "UTC"
    with psycopg.connect(services.dagster_postgres_url) as conn:
        assert conn.execute("select current_database()").fetchone()[0] == "dagster"


def test_up_twice_reuses_running_servers(services: Endpoints, test_settings: Settings) -> None:
    if services.mongodb_source == "external":
        pytest.skip("servers are external: nothing embedded to reuse")
    before = StateFile(test_settings.home).load()
    again = ServiceManager(test_settings).up()
    after = StateFile(test_settings.home).load()
    assert again == services
    assert {name: r.pid for name, r in before.items()} == {name: r.pid for name, r in after.items()}


def test_external_servers_start_nothing(services: Endpoints, tmp_path: Path) -> None:
    env = _clean_env(tmp_path / "home")
    env["SHOPEASE_MONGODB_URI"] = services.mongodb_uri
    env["SHOPEASE_POSTGRES_URL"] = services.postgres_url
    pids_before = _server_pids()
    result = _shopease("services", "up", env=env)
    assert result.returncode == 0, result.stderr
    assert "(external)" in result.stdout
    assert _server_pids() == pids_before
    assert StateFile(tmp_path / "home").load() == {}


@pytest.mark.slow
def test_down_stops_every_server_it_started(tmp_path: Path) -> None:
    settings = Settings.from_env({"SHOPEASE_HOME": str(tmp_path / "home")})
    manager = ServiceManager(settings)
    try:
        endpoints = manager.up()
    except ServiceError as error:
        pytest.skip(f"no embedded servers here: {error}")
    records = StateFile(settings.home).load()
    assert {"mongodb", "postgres"} == set(records)
    assert endpoints.mongodb_source == endpoints.postgres_source == "embedded"

    try:
        stopped = manager.down()
        assert len(stopped) == 2
        for record in records.values():
            assert not psutil.pid_exists(record.pid) or not record.is_running()
        status = manager.status()
        assert all(" stopped " in line for line in status), status

        again = manager.up()
        assert again == endpoints, "up after down reuses the recorded ports"
    finally:
        manager.down()
        postgres.forget(settings.home)


def test_unreachable_mongodb_fails_fast_naming_the_variable(tmp_path: Path) -> None:
    env = _clean_env(tmp_path)
    env["SHOPEASE_MONGODB_URI"] = "mongodb://127.0.0.1:1/?replicaSet=rs0"
    env["SHOPEASE_CONNECT_TIMEOUT_S"] = "2"
    started = time.monotonic()
    result = _shopease("services", "up", env=env)
    assert time.monotonic() - started < 30
    assert result.returncode == 2
    assert "SHOPEASE_MONGODB_URI" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SHOPEASE_POSTGRES_URL", "not-a-url"),
        ("SHOPEASE_POSTGRES_URL", "postgresql://host:notaport/db"),
        ("SHOPEASE_MONGODB_URI", "http://127.0.0.1:27017"),
        ("SHOPEASE_SEED", "forty-two"),
        ("SHOPEASE_START_DATE", "yesterday"),
    ],
)
def test_malformed_setting_names_the_variable(tmp_path: Path, variable: str, value: str) -> None:
    env = _clean_env(tmp_path)
    env[variable] = value
    result = _shopease("services", "status", env=env, timeout=30)
    assert result.returncode == 2
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_embedded_binary_says_which_variable_to_set(tmp_path: Path) -> None:
    env = _clean_env(tmp_path)
    env["SHOPEASE_MONGOD_BIN"] = str(tmp_path / "no-such-mongod")
    result = _shopease("services", "up", env=env)
    assert result.returncode == 2
    assert "SHOPEASE_MONGODB_URI" in result.stderr


def test_env_prints_exportable_lines(services: Endpoints, test_settings: Settings) -> None:
    env = _clean_env(test_settings.home)
    env["SHOPEASE_MONGODB_URI"] = services.mongodb_uri
    env["SHOPEASE_POSTGRES_URL"] = services.postgres_url
    result = _shopease("services", "env", env=env, timeout=30)
    assert result.returncode == 0, result.stderr
    exported = subprocess.run(
        ["bash", "-c", f'eval "{result.stdout}"; echo "$SHOPEASE_MONGODB_URI|$SHOPEASE_POSTGRES_URL"'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert exported == f"{services.mongodb_uri}|{services.postgres_url}"


def test_dagster_instance_keeps_runs_in_postgres(services: Endpoints, test_settings: Settings) -> None:
    import dagster as dg
    from dagster_postgres import PostgresRunStorage

    home = ServiceManager(test_settings).prepare_dagster_home()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert instance.get_runs_count() >= 0
