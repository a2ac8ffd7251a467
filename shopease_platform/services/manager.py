"""`shopease services up | down | status | env`: the embedded servers' life cycle and the endpoints in force.

Endpoints come from the environment when `SHOPEASE_MONGODB_URI` / `SHOPEASE_POSTGRES_URL` are set (nothing is
started then), otherwise from the embedded servers recorded in the state folder. A variable that names a
recorded embedded server (as `eval "$(shopease services env)"` exports it) still counts as embedded, so `up`
restarts that server after a crash, on the port it had.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from shopease_platform.services import mongodb, postgres, seaweedfs
from shopease_platform.services.cloud import S3Endpoint, prepare_s3, s3_endpoint, s3_status
from shopease_platform.services.probes import check_mongodb, check_postgres
from shopease_platform.services.state import ServerRecord, ServiceError, StateFile
from shopease_platform.settings import DAGSTER_RANGE_RUN_ENV, Settings, dbt_profile_env, redact, with_database

WAREHOUSE_DATABASE = "shopease"
DAGSTER_DATABASE = "dagster"
WAREHOUSE_SCHEMAS = ("raw", "staging", "analytics")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SERVERS = {"mongodb": mongodb, "postgres": postgres, "seaweedfs": seaweedfs}
SETTING = {
    "mongodb": "SHOPEASE_MONGODB_URI",
    "postgres": "SHOPEASE_POSTGRES_URL",
    "seaweedfs": "SHOPEASE_S3_ENDPOINT_URL",
}


@dataclass(frozen=True)
class Endpoints:
    mongodb_uri: str
    postgres_url: str
    dagster_postgres_url: str
    mongodb_source: str
    postgres_source: str
    s3: S3Endpoint | None = None

    def as_env(self, settings: Settings) -> dict[str, str]:
        """The variables a shell (or a child process) needs to reach these servers."""
        return {
            "SHOPEASE_HOME": str(settings.home),
            "SHOPEASE_MONGODB_URI": self.mongodb_uri,
            "SHOPEASE_POSTGRES_URL": self.postgres_url,
            "SHOPEASE_DAGSTER_POSTGRES_URL": self.dagster_postgres_url,
            "DAGSTER_HOME": str(settings.dagster_home),
            **dbt_profile_env(self.postgres_url),
            **(self.s3.as_env() if self.s3 else {}),
            **DAGSTER_RANGE_RUN_ENV,
        }


class ServiceManager:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state = StateFile(settings.home)

    # --- life cycle -------------------------------------------------------------------------------------

    def up(self) -> Endpoints:
        """Start (or reuse) what is needed, create databases and schemas, prepare Dagster's home.

        When anything fails, the servers this call started are stopped again (their records stay, so the next
        `up` reuses their ports) and the error propagates.
        """
        self.settings.home.mkdir(parents=True, exist_ok=True)
        records = self.state.load()
        timeout = self.settings.connect_timeout_s
        started: list[ServerRecord] = []
        try:
            for name in ("mongodb", "postgres"):
                external = self._external(name, records)
                if external:
                    (check_mongodb if name == "mongodb" else check_postgres)(external, timeout)
                    continue
                self._ensure_running(name, records, started)
            if self.settings.raw_store == "s3" and not self.settings.s3_endpoint_url:
                self._ensure_running("seaweedfs", records, started)
            endpoints = self.endpoints()
            bootstrap_postgres(endpoints, timeout)
            if endpoints.s3 is not None:
                prepare_s3(endpoints.s3, self.settings)
            self.prepare_dagster_home()
        except BaseException:
            for record in reversed(started):
                SERVERS[record.name].stop(record)
            raise
        return endpoints

    def _ensure_running(self, name: str, records: dict[str, ServerRecord], started: list[ServerRecord]) -> None:
        """Start the embedded server when its record is missing or dead, on its recorded port where it has one."""
        record = records.get(name)
        if record is not None and record.is_running():
            return
        if name == "seaweedfs":  # its gateway takes eight ports: a restart picks free ones
            record = seaweedfs.start(self.settings.home)
        else:
            record = SERVERS[name].start(self.settings.home, port=record.port if record else None)
        started.append(record)
        records[name] = record
        self.state.save(records)

    def _external(self, name: str, records: dict[str, ServerRecord]) -> str | None:
        """The variable's value when it points at a server other than our recorded one, else None."""
        value = self.settings.mongodb_uri if name == "mongodb" else self.settings.postgres_url
        record = records.get(name)
        if value and record is not None and record.is_addressed_by(value):
            return None
        return value

    def down(self) -> list[str]:
        """Stop the embedded servers this state folder started, and nothing else.

        The records stay (marked by their dead processes), so the next `up` starts each server on its old port.
        """
        stopped = []
        for name, record in self.state.load().items():
            if record.is_running():
                SERVERS[name].stop(record)
                stopped.append(f"{name} (pid {record.pid}, port {record.port})")
        return stopped

    def status(self) -> list[str]:
        records = self.state.load()
        lines = []
        for name in ("mongodb", "postgres"):
            setting = SETTING[name]
            external = self._external(name, records)
            record = records.get(name)
            if external:
                lines.append(f"{name:9} external  {setting}={redact(external)}")
            elif record is not None and record.is_running():
                lines.append(f"{name:9} running   pid {record.pid}, 127.0.0.1:{record.port}, data {record.data_dir}")
            elif record is not None:
                lines.append(
                    f"{name:9} stopped   was 127.0.0.1:{record.port}, data {record.data_dir} "
                    "(`shopease services up` restarts it on that port)"
                )
            else:
                lines.append(f"{name:9} stopped   never started here (start with `shopease services up`)")
        return lines + s3_status(self.settings, records.get("seaweedfs"))

    # --- endpoints --------------------------------------------------------------------------------------

    def endpoints(self) -> Endpoints:
        """The servers in force, without starting anything."""
        records = self.state.load()
        mongodb_uri, mongodb_source = self._external("mongodb", records), "external"
        if not mongodb_uri:
            mongodb_uri, mongodb_source = mongodb.uri_for(self._require(records, "mongodb").port), "embedded"
        postgres_url, postgres_source = self._external("postgres", records), "external"
        if not postgres_url:
            port = self._require(records, "postgres").port
            postgres_url, postgres_source = postgres.url_for(port, WAREHOUSE_DATABASE), "embedded"
        dagster_url = self.settings.dagster_postgres_url or with_database(postgres_url, DAGSTER_DATABASE)
        s3 = s3_endpoint(self.settings, lambda: self._require(records, "seaweedfs").port)
        return Endpoints(mongodb_uri, postgres_url, dagster_url, mongodb_source, postgres_source, s3)

    def _require(self, records: dict[str, ServerRecord], name: str) -> ServerRecord:
        record = records.get(name)
        if record is None or not record.is_running():
            where = f"was on port {record.port}" if record else "never started"
            raise ServiceError(
                f"The embedded {name} is not running ({where}; state folder {self.settings.home}). "
                f"Run `shopease services up`, or set {SETTING[name]} to an external server."
            )
        return record

    def prepare_dagster_home(self) -> Path:
        """Copy the project's dagster.yaml (dagster-postgres storage) into DAGSTER_HOME."""
        home = self.settings.dagster_home
        home.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
        return home


def bootstrap_postgres(endpoints: Endpoints, timeout_s: float) -> None:
    """Create the warehouse and Dagster databases (when missing) and the warehouse schemas."""
    server_url = with_database(endpoints.postgres_url, "postgres")
    wanted = {
        _database_of(endpoints.postgres_url): "SHOPEASE_POSTGRES_URL",
        _database_of(endpoints.dagster_postgres_url): "SHOPEASE_DAGSTER_POSTGRES_URL",
    }
    try:
        with psycopg.connect(server_url, autocommit=True, connect_timeout=int(timeout_s)) as conn:
            existing = {row[0] for row in conn.execute("select datname from pg_database")}
            for database in wanted:
                if database not in existing:
                    conn.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
    except psycopg.Error as error:
        if endpoints.postgres_source == "embedded":
            raise ServiceError(f"could not create databases on the embedded PostgreSQL: {error}") from error
        # External servers may not let us connect to `postgres` or create databases: then they must exist.
    try:
        with psycopg.connect(endpoints.postgres_url, autocommit=True, connect_timeout=int(timeout_s)) as conn:
            for schema in WAREHOUSE_SCHEMAS:
                conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
    except psycopg.Error as error:
        raise ServiceError(
            f"could not prepare schemas at SHOPEASE_POSTGRES_URL={redact(endpoints.postgres_url)}: {error}"
        ) from error


def _database_of(url: str) -> str:
    return url.rsplit("/", 1)[-1].split("?", 1)[0]
