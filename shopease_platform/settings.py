"""Every setting of the platform, read from environment variables in one place.

Everything else receives these values through Dagster resources or function arguments, so the same code
runs against the embedded servers on a laptop and against external servers in production. A wrong value
raises :class:`SettingsError` naming the variable, never a bare traceback from deep inside a driver.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from shopease_platform.window import dbt_env


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the environment variable."""


@dataclass(frozen=True)
class Setting:
    """One documented environment variable (the README's settings table is generated from these)."""

    name: str
    default: str | None
    description: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SHOPEASE_HOME",
        "<project root>/.shopease",
        "State folder: embedded server data, logs, Dagster home, outputs. Unset: `.shopease` in the project root "
        "found from the current folder upwards (so `dbt/` finds it too), else in the current folder.",
    ),
    Setting(
        "SHOPEASE_MONGODB_URI",
        None,
        "MongoDB replica-set URI. Unset: the embedded mongod started by `shopease services up`.",
    ),
    Setting(
        "SHOPEASE_POSTGRES_URL",
        None,
        "PostgreSQL URL of the warehouse database. Unset: the embedded PostgreSQL (database `shopease`).",
    ),
    Setting(
        "SHOPEASE_DAGSTER_POSTGRES_URL",
        None,
        "PostgreSQL URL for Dagster's own storage. Unset: database `dagster` on the warehouse server.",
    ),
    Setting("SHOPEASE_MONGODB_DATABASE", "shopease", "MongoDB database holding the raw store."),
    Setting(
        "SHOPEASE_RAW_STORE",
        "mongodb",
        "Where the simulated business lands: `mongodb`, or `s3` for the cloud version (Parquet windows in a bucket).",
    ),
    Setting(
        "SHOPEASE_S3_ENDPOINT_URL",
        None,
        "S3 endpoint of the cloud raw store (https://s3.<region>.amazonaws.com or any S3-compatible server). "
        "Unset: the embedded SeaweedFS started by `shopease services up`.",
    ),
    Setting("SHOPEASE_S3_BUCKET", "shopease-raw", "Bucket of the cloud raw store (created when missing)."),
    Setting("SHOPEASE_S3_PREFIX", "shopease", "Key prefix of the cloud raw store inside the bucket."),
    Setting("SHOPEASE_SEED", "42", "Seed of the simulation: same seed and window give the same data."),
    Setting("SHOPEASE_START_DATE", "2026-01-01", "First day of the 3-hour partitions (UTC)."),
    Setting("SHOPEASE_PRODUCTS", "2000", "Products in the catalog."),
    Setting("SHOPEASE_ORDERS_PER_WINDOW", "120", "Mean orders per 3-hour window before seasonal shaping."),
    Setting("SHOPEASE_NEW_CUSTOMERS_PER_WINDOW", "40", "Mean new customers per 3-hour window."),
    Setting(
        "SHOPEASE_DEMO_DAYS",
        "365",
        "Days of history `make demo` materializes, up to the last closed window (from SHOPEASE_START_DATE at most).",
    ),
    Setting(
        "SHOPEASE_MONGODB_ORDERS_PER_TRANSACTION",
        "15000",
        "Orders after which a MongoDB transaction of consecutive windows commits (whole windows only).",
    ),
    Setting("SHOPEASE_ETL_BATCH_SIZE", "10000", "Documents read, validated and copied per batch by the loader."),
    Setting(
        "SHOPEASE_ETL_WINDOWS_PER_TRANSACTION",
        "240",
        "Consecutive windows the loader replaces in one PostgreSQL transaction (each group all-or-nothing).",
    ),
    Setting("SHOPEASE_MAX_REJECT_SHARE", "0.01", "Share of quarantined orders above which the rejects check fails."),
    Setting("SHOPEASE_CONNECT_TIMEOUT_S", "5", "Seconds to wait for a server before failing with a clear error."),
    Setting(
        "SHOPEASE_FRESHNESS_LIMIT_MINUTES",
        "210",
        "Raw tables and marts are stale when not updated for this long (the 3-hour cadence plus a grace period).",
    ),
    Setting("SHOPEASE_SENSOR_POLL_SECONDS", "5", "Longest time one evaluation of the late-orders sensor waits."),
    Setting(
        "SHOPEASE_SENSOR_RESCAN_DAYS",
        "7",
        "Days of windows the late-orders sensor compares MongoDB with PostgreSQL when its resume token is invalid.",
    ),
    Setting(
        "SHOPEASE_BACKFILL_CHUNK_DAYS",
        "0",
        "Days per run of `shopease backfill` and `make demo`; 0: the whole range in one run (dbt builds once).",
    ),
    Setting("SHOPEASE_OUTPUT_DIR", "$SHOPEASE_HOME/output", "Folder of the Tableau extracts and the HTML dashboard."),
    Setting(
        "SHOPEASE_REPORTING_PASSWORD",
        "shopease-reporting-dev",
        "Password of the read-only `shopease_reporting` PostgreSQL role (set your own outside the demo).",
    ),
    Setting("DAGSTER_HOME", "$SHOPEASE_HOME/dagster_home", "Dagster instance folder (dagster.yaml is copied there)."),
)


def project_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding this project's pyproject.toml."""
    for folder in (start, *start.parents):
        marker = folder / "pyproject.toml"
        try:
            if marker.is_file() and 'name = "shopease-platform"' in marker.read_text(errors="ignore"):
                return folder
        except OSError:
            continue
    return None


def default_home(cwd: Path) -> Path:
    """`.shopease` in the project root, wherever below it a command runs; in `cwd` outside any checkout."""
    return (project_root(cwd) or cwd) / ".shopease"


def _read_int(env: Mapping[str, str], name: str, default: str, minimum: int = 0) -> int:
    raw = env.get(name, default)
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be >= {minimum}, got {value}")
    return value


def _read_float(env: Mapping[str, str], name: str, default: str, maximum: float | None = None) -> float:
    raw = env.get(name, default)
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be > 0, got {value}")
    if maximum is not None and value > maximum:
        raise SettingsError(f"{name} must be <= {maximum:g}, got {value:g}")
    return value


def _read_date(env: Mapping[str, str], name: str, default: str) -> datetime:
    raw = env.get(name, default)
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a date like 2026-01-01, got {raw!r}") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def validate_mongodb_uri(uri: str, name: str = "SHOPEASE_MONGODB_URI") -> str:
    """Check the URI's form without contacting the server (connectivity is checked by the resource)."""
    parts = urlsplit(uri)
    if parts.scheme not in ("mongodb", "mongodb+srv") or not parts.netloc:
        raise SettingsError(f"{name} must look like mongodb://host:port/?replicaSet=rs0, got {uri!r}")
    return uri


RAW_STORES = ("mongodb", "s3")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$")


def validate_s3_endpoint_url(url: str, name: str = "SHOPEASE_S3_ENDPOINT_URL") -> str:
    """An http(s) endpoint without a path (the bucket and prefix are settings of their own)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
        example = "https://s3.eu-west-1.amazonaws.com or http://host:9000"
        raise SettingsError(f"{name} must look like {example}, got {url!r}")
    return _with_valid_port(url, name)


def _with_valid_port(url: str, name: str) -> str:
    try:
        _ = urlsplit(url).port
    except ValueError:
        raise SettingsError(f"{name} has an invalid port: {url!r}") from None
    return url


def _read_choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name) or default
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _read_pattern(env: Mapping[str, str], name: str, default: str, pattern: re.Pattern[str], what: str) -> str:
    value = env.get(name) or default
    if not pattern.match(value) or ".." in value:
        raise SettingsError(f"{name} must be {what}, got {value!r}")
    return value


def validate_postgres_url(url: str, name: str = "SHOPEASE_POSTGRES_URL") -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname or not parts.path.strip("/"):
        raise SettingsError(f"{name} must look like postgresql://user@host:port/database, got {url!r}")
    return _with_valid_port(url, name)


def with_database(url: str, database: str) -> str:
    """The same PostgreSQL server URL, pointed at another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


DAGSTER_RANGE_RUN_ENV = {"DAGSTER_EVENT_BATCH_SIZE": "1000", "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "true"}
"""Dagster's own switches for runs over a range of windows, set for every process that runs the graph.

A single run over N windows otherwise writes 2 x N events per partitioned asset (one planned, one
materialization per window), each in its own connection to the event log: 40 ms a window and asset on the
demo's PostgreSQL storage, more than the work itself. With them a run writes one planned event per asset and
its materializations in batches. The cost: the partitions of a failed run show as missing, not failed, in the
UI (the run-failure sensor still names them).
"""


def dbt_profile_env(postgres_url: str) -> dict[str, str]:
    """What dbt reads from the environment besides a run's windows: the SHOPEASE_PG_* variables of profiles.yml,
    split from the warehouse URL, and the window length (`shopease_platform.window.dbt_env`)."""
    parts = urlsplit(postgres_url)
    return {
        **dbt_env(),
        "SHOPEASE_PG_HOST": parts.hostname or "127.0.0.1",
        "SHOPEASE_PG_PORT": str(parts.port or 5432),
        "SHOPEASE_PG_USER": unquote(parts.username or "postgres"),
        "SHOPEASE_PG_PASSWORD": unquote(parts.password or ""),
        "SHOPEASE_PG_DATABASE": parts.path.strip("/"),
    }


def redact(url: str) -> str:
    """A URL safe to print: the password, if any, is replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@dataclass(frozen=True)
class Settings:
    home: Path
    mongodb_uri: str | None
    postgres_url: str | None
    dagster_postgres_url: str | None
    mongodb_database: str
    seed: int
    start_date: datetime
    products: int
    orders_per_window: float
    new_customers_per_window: float
    demo_days: int
    connect_timeout_s: int
    etl_batch_size: int = 10_000
    etl_windows_per_transaction: int = 240
    mongodb_orders_per_transaction: int = 15_000
    max_reject_share: float = 0.01
    freshness_limit_minutes: int = 210
    sensor_poll_seconds: float = 5.0
    sensor_rescan_days: int = 7
    backfill_chunk_days: int = 0
    output_dir: Path = field(default=Path())
    reporting_password: str = "shopease-reporting-dev"
    dagster_home: Path = field(default=Path())
    raw_store: str = "mongodb"
    s3_endpoint_url: str | None = None
    s3_bucket: str = "shopease-raw"
    s3_prefix: str = "shopease"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = Path(env.get("SHOPEASE_HOME") or default_home(Path.cwd().resolve())).expanduser().resolve()
        mongodb_uri = env.get("SHOPEASE_MONGODB_URI") or None
        postgres_url = env.get("SHOPEASE_POSTGRES_URL") or None
        dagster_url = env.get("SHOPEASE_DAGSTER_POSTGRES_URL") or None
        if mongodb_uri:
            validate_mongodb_uri(mongodb_uri)
        if postgres_url:
            validate_postgres_url(postgres_url)
        if dagster_url:
            validate_postgres_url(dagster_url, "SHOPEASE_DAGSTER_POSTGRES_URL")
        database = env.get("SHOPEASE_MONGODB_DATABASE", "shopease")
        if not database or any(ch in database for ch in '/\\. "$'):
            raise SettingsError(f"SHOPEASE_MONGODB_DATABASE is not a valid database name: {database!r}")
        dagster_home = Path(env.get("DAGSTER_HOME") or home / "dagster_home").expanduser().resolve()
        s3_endpoint_url = env.get("SHOPEASE_S3_ENDPOINT_URL") or None
        if s3_endpoint_url:
            validate_s3_endpoint_url(s3_endpoint_url)
        return cls(
            home=home,
            mongodb_uri=mongodb_uri,
            postgres_url=postgres_url,
            dagster_postgres_url=dagster_url,
            mongodb_database=database,
            seed=_read_int(env, "SHOPEASE_SEED", "42"),
            start_date=_read_date(env, "SHOPEASE_START_DATE", "2026-01-01"),
            products=_read_int(env, "SHOPEASE_PRODUCTS", "2000", minimum=12),
            orders_per_window=_read_float(env, "SHOPEASE_ORDERS_PER_WINDOW", "120"),
            new_customers_per_window=_read_float(env, "SHOPEASE_NEW_CUSTOMERS_PER_WINDOW", "40"),
            demo_days=_read_int(env, "SHOPEASE_DEMO_DAYS", "365", minimum=1),
            connect_timeout_s=_read_int(env, "SHOPEASE_CONNECT_TIMEOUT_S", "5", minimum=1),
            etl_batch_size=_read_int(env, "SHOPEASE_ETL_BATCH_SIZE", "10000", minimum=1),
            etl_windows_per_transaction=_read_int(env, "SHOPEASE_ETL_WINDOWS_PER_TRANSACTION", "240", minimum=1),
            mongodb_orders_per_transaction=_read_int(
                env, "SHOPEASE_MONGODB_ORDERS_PER_TRANSACTION", "15000", minimum=1
            ),
            max_reject_share=_read_float(env, "SHOPEASE_MAX_REJECT_SHARE", "0.01", maximum=1),
            freshness_limit_minutes=_read_int(env, "SHOPEASE_FRESHNESS_LIMIT_MINUTES", "210", minimum=1),
            sensor_poll_seconds=_read_float(env, "SHOPEASE_SENSOR_POLL_SECONDS", "5"),
            sensor_rescan_days=_read_int(env, "SHOPEASE_SENSOR_RESCAN_DAYS", "7", minimum=1),
            backfill_chunk_days=_read_int(env, "SHOPEASE_BACKFILL_CHUNK_DAYS", "0"),
            output_dir=Path(env.get("SHOPEASE_OUTPUT_DIR") or home / "output").expanduser().resolve(),
            reporting_password=env.get("SHOPEASE_REPORTING_PASSWORD") or "shopease-reporting-dev",
            dagster_home=dagster_home,
            raw_store=_read_choice(env, "SHOPEASE_RAW_STORE", "mongodb", RAW_STORES),
            s3_endpoint_url=s3_endpoint_url,
            s3_bucket=_read_pattern(
                env, "SHOPEASE_S3_BUCKET", "shopease-raw", _BUCKET, "a bucket name (3-63 of a-z, 0-9, '.', '-')"
            ),
            s3_prefix=_read_pattern(
                env, "SHOPEASE_S3_PREFIX", "shopease", _PREFIX, "a key prefix like `shopease` or `team/raw`"
            ),
        )
