"""`shopease services up | down | status | env`: the embedded servers' life cycle and the endpoints in force.

Endpoints come from the environment when `SHOPEASE_MONGODB_URI` / `SHOPEASE_POSTGRES_URL` are set (nothing is
started then), otherwise from the embedded servers recorded in the state folder.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from shopease_platform.services import mongodb, postgres
from shopease_platform.services.probes import check_mongodb, check_postgres
from shopease_platform.services.state import ServerRecord, ServiceError, StateFile
from shopease_platform.settings import DAGSTER_RANGE_RUN_ENV, Settings, dbt_profile_env, redact, with_database

WAREHOUSE_DATABASE = "shopease"
DAGSTER_DATABASE = "dagster"
WAREHOUSE_SCHEMAS = ("raw", "staging", "analytics")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Endpoints:
    mongodb_uri: str
    postgres_url: str
    dagster_postgres_url: str
    mongodb_source: str
    postgres_source: str

    def as_env(self, settings: Settings) -> dict[str, str]:
        """The variables a shell (or a child process) needs to reach these servers."""
        return {
            "SHOPEASE_HOME": str(settings.home),
            "SHOPEASE_MONGODB_URI": self.mongodb_uri,
            "SHOPEASE_POSTGRES_URL": self.postgres_url,
            "SHOPEASE_DAGSTER_POSTGRES_URL": self.dagster_postgres_url,
            "DAGSTER_HOME": str(settings.dagster_home),
            **dbt_profile_env(self.postgres_url),
            **DAGSTER_RANGE_RUN_ENV,
        }


class ServiceManager:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state = StateFile(settings.home)

    # --- life cycle -------------------------------------------------------------------------------------

    def up(self) -> Endpoints:
        """Start (or reuse) what is needed, create databases and schemas, prepare Dagster's home."""
        self.settings.home.mkdir(parents=True, exist_ok=True)
        records = self.state.load()
        timeout = self.settings.connect_timeout_s

        if self.settings.mongodb_uri:
            check_mongodb(self.settings.mongodb_uri, timeout)
        else:
            records["mongodb"] = self._running_or_started(records.get("mongodb"), "mongodb")
            self.state.save(records)

        if self.settings.postgres_url:
            check_postgres(self.settings.postgres_url, timeout)
        else:
            records["postgres"] = self._running_or_started(records.get("postgres"), "postgres")
            self.state.save(records)

        endpoints = self.endpoints()
        bootstrap_postgres(endpoints, timeout)
        self.prepare_dagster_home()
        return endpoints

    def _running_or_started(self, record: ServerRecord | None, name: str) -> ServerRecord:
        if record is not None and record.is_running():
            return record
        module = mongodb if name == "mongodb" else postgres
        return module.start(self.settings.home)

    def down(self) -> list[str]:
        """Stop the embedded servers this state folder started, and nothing else."""
        records = self.state.load()
        stopped = []
        for name, record in list(records.items()):
            if record.is_running():
                (mongodb if name == "mongodb" else postgres).stop(record)
                stopped.append(f"{name} (pid {record.pid}, port {record.port})")
            del records[name]
            self.state.save(records)
        return stopped

    def status(self) -> list[str]:
        records = self.state.load()
        lines = []
        for name, setting in (("mongodb", "SHOPEASE_MONGODB_URI"), ("postgres", "SHOPEASE_POSTGRES_URL")):
            external = self.settings.mongodb_uri if name == "mongodb" else self.settings.postgres_url
            record = records.get(name)
            if external:
                lines.append(f"{name:9} external  {setting}={redact(external)}")
            elif record is not None and record.is_running():
                lines.append(f"{name:9} running   pid {record.pid}, 127.0.0.1:{record.port}, data {record.data_dir}")
            else:
                lines.append(f"{name:9} stopped   (start with `shopease services up`)")
        return lines

    # --- endpoints --------------------------------------------------------------------------------------

    def endpoints(self) -> Endpoints:
        """The servers in force, without starting anything."""
        records = self.state.load()
        mongodb_uri, mongodb_source = self.settings.mongodb_uri, "external"
        if not mongodb_uri:
            mongodb_uri, mongodb_source = mongodb.uri_for(self._require(records, "mongodb").port), "embedded"
        postgres_url, postgres_source = self.settings.postgres_url, "external"
        if not postgres_url:
            port = self._require(records, "postgres").port
            postgres_url, postgres_source = postgres.url_for(port, WAREHOUSE_DATABASE), "embedded"
        dagster_url = self.settings.dagster_postgres_url or with_database(postgres_url, DAGSTER_DATABASE)
        return Endpoints(mongodb_uri, postgres_url, dagster_url, mongodb_source, postgres_source)

    def _require(self, records: dict[str, ServerRecord], name: str) -> ServerRecord:
        record = records.get(name)
        if record is None or not record.is_running():
            setting = "SHOPEASE_MONGODB_URI" if name == "mongodb" else "SHOPEASE_POSTGRES_URL"
            raise ServiceError(
                f"The embedded {name} is not running (state folder {self.settings.home}). "
                f"Run `shopease services up`, or set {setting} to an external server."
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
