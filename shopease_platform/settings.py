"""Every setting of the platform, read from environment variables in one place.

Everything else receives these values through Dagster resources or function arguments, so the same code
runs against the embedded servers on a laptop and against external servers in production. A wrong value
raises :class:`SettingsError` naming the variable, never a bare traceback from deep inside a driver.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the environment variable."""


@dataclass(frozen=True)
class Setting:
    """One documented environment variable (the README's settings table is generated from these)."""

    name: str
    default: str | None
    description: str


SETTINGS: tuple[Setting, ...] = (
    Setting("SHOPEASE_HOME", ".shopease", "State folder: embedded server data, logs, Dagster home, outputs."),
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
    Setting("SHOPEASE_SEED", "42", "Seed of the simulation: same seed and window give the same data."),
    Setting("SHOPEASE_START_DATE", "2026-01-01", "First day of the 3-hour partitions (UTC)."),
    Setting("SHOPEASE_PRODUCTS", "2000", "Products in the catalog."),
    Setting("SHOPEASE_ORDERS_PER_WINDOW", "120", "Mean orders per 3-hour window before seasonal shaping."),
    Setting("SHOPEASE_NEW_CUSTOMERS_PER_WINDOW", "40", "Mean new customers per 3-hour window."),
    Setting("SHOPEASE_DEMO_DAYS", "30", "Days of history `make demo` materializes, ending at the last closed window."),
    Setting(
        "SHOPEASE_MONGODB_ORDERS_PER_TRANSACTION",
        "15000",
        "Orders after which a MongoDB transaction of consecutive windows commits (whole windows only).",
    ),
    Setting("SHOPEASE_ETL_BATCH_SIZE", "10000", "Documents read, validated and copied per batch by the loader."),
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
    Setting("SHOPEASE_BACKFILL_CHUNK_DAYS", "30", "Days per run of `shopease backfill` (each run is one range)."),
    Setting("SHOPEASE_OUTPUT_DIR", "$SHOPEASE_HOME/output", "Folder of the Tableau extracts and the HTML dashboard."),
    Setting(
        "SHOPEASE_REPORTING_PASSWORD",
        "shopease-reporting-dev",
        "Password of the read-only `shopease_reporting` PostgreSQL role (set your own outside the demo).",
    ),
    Setting("DAGSTER_HOME", "$SHOPEASE_HOME/dagster_home", "Dagster instance folder (dagster.yaml is copied there)."),
)


def _read_int(env: Mapping[str, str], name: str, default: str, minimum: int = 0) -> int:
    raw = env.get(name, default)
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be >= {minimum}, got {value}")
    return value


def _read_float(env: Mapping[str, str], name: str, default: str) -> float:
    raw = env.get(name, default)
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be > 0, got {value}")
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


def validate_postgres_url(url: str, name: str = "SHOPEASE_POSTGRES_URL") -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname or not parts.path.strip("/"):
        raise SettingsError(f"{name} must look like postgresql://user@host:port/database, got {url!r}")
    try:
        _ = parts.port
    except ValueError:
        raise SettingsError(f"{name} has an invalid port: {url!r}") from None
    return url


def with_database(url: str, database: str) -> str:
    """The same PostgreSQL server URL, pointed at another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def dbt_profile_env(postgres_url: str) -> dict[str, str]:
    """The SHOPEASE_PG_* variables dbt's profiles.yml reads, split from the warehouse URL."""
    parts = urlsplit(postgres_url)
    return {
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
    mongodb_orders_per_transaction: int = 15_000
    max_reject_share: float = 0.01
    freshness_limit_minutes: int = 210
    sensor_poll_seconds: float = 5.0
    sensor_rescan_days: int = 7
    backfill_chunk_days: int = 30
    output_dir: Path = field(default=Path())
    reporting_password: str = "shopease-reporting-dev"
    dagster_home: Path = field(default=Path())

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = Path(env.get("SHOPEASE_HOME", ".shopease")).expanduser().resolve()
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
            demo_days=_read_int(env, "SHOPEASE_DEMO_DAYS", "30", minimum=1),
            connect_timeout_s=_read_int(env, "SHOPEASE_CONNECT_TIMEOUT_S", "5", minimum=1),
            etl_batch_size=_read_int(env, "SHOPEASE_ETL_BATCH_SIZE", "10000", minimum=1),
            mongodb_orders_per_transaction=_read_int(
                env, "SHOPEASE_MONGODB_ORDERS_PER_TRANSACTION", "15000", minimum=1
            ),
            max_reject_share=_read_float(env, "SHOPEASE_MAX_REJECT_SHARE", "0.01"),
            freshness_limit_minutes=_read_int(env, "SHOPEASE_FRESHNESS_LIMIT_MINUTES", "210", minimum=1),
            sensor_poll_seconds=_read_float(env, "SHOPEASE_SENSOR_POLL_SECONDS", "5"),
            sensor_rescan_days=_read_int(env, "SHOPEASE_SENSOR_RESCAN_DAYS", "7", minimum=1),
            backfill_chunk_days=_read_int(env, "SHOPEASE_BACKFILL_CHUNK_DAYS", "30", minimum=1),
            output_dir=Path(env.get("SHOPEASE_OUTPUT_DIR") or home / "output").expanduser().resolve(),
            reporting_password=env.get("SHOPEASE_REPORTING_PASSWORD") or "shopease-reporting-dev",
            dagster_home=dagster_home,
        )
