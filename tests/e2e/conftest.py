"""A small simulated business materialized through Dagster against the session's real servers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dagster as dg
import pytest

from shopease_platform.definitions import build_definitions
from shopease_platform.orchestration.jobs import WINDOW_JOB
from shopease_platform.resources import MongoResource, PostgresResource
from shopease_platform.services import Endpoints
from shopease_platform.settings import Settings
from tests.conftest import fresh_databases

RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
LOAD_GROUPS = dg.AssetSelection.groups("mongo_raw", "s3_raw", "postgres_raw")


@dataclass
class Platform:
    """The definitions plus resources pointed at one test's isolated MongoDB and PostgreSQL databases."""

    defs: dg.Definitions
    resources: dict[str, Any]
    mongo_database: str
    postgres_url: str
    instance: dg.DagsterInstance
    settings: Settings

    def assets(self, partitioned: bool) -> list[dg.AssetsDefinition]:
        return [
            a for a in (self.defs.assets or []) if isinstance(a, dg.AssetsDefinition)
            and (a.partitions_def is not None) == partitioned
        ]  # fmt: skip

    def materialize_static(self) -> dg.ExecuteInProcessResult:
        """Unpartitioned MongoDB and PostgreSQL raw assets (catalog, stores)."""
        return dg.materialize(
            self.assets(False), selection=LOAD_GROUPS, resources=self.resources, instance=self.instance
        )

    def materialize_windows(self, first: str, last: str, selection: Any = LOAD_GROUPS) -> dg.ExecuteInProcessResult:
        """Partitioned assets over first..last in one run; by default MongoDB and PostgreSQL raw only (no dbt)."""
        return dg.materialize(
            self.assets(True),
            selection=selection,
            resources=self.resources,
            instance=self.instance,
            tags=dict(zip(RANGE_TAGS, (first, last), strict=True)),
        )

    def with_test_resources(self) -> dg.Definitions:
        """The platform's definitions (jobs, checks, schedules, sensors) bound to this test's databases."""
        return dg.Definitions(
            assets=self.defs.assets,
            asset_checks=self.defs.asset_checks,
            jobs=self.defs.jobs,
            schedules=self.defs.schedules,
            sensors=self.defs.sensors,
            resources=self.resources,
        )

    def run_job(self, name: str, **kwargs: Any) -> dg.ExecuteInProcessResult:
        job = self.with_test_resources().resolve_job_def(name)
        return job.execute_in_process(instance=self.instance, raise_on_error=False, **kwargs)


def step_failure_message(result: dg.ExecuteInProcessResult) -> str:
    """The first failed step's error and its causes, one message a line."""
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    error, messages = failures[0].event_specific_data.error, []
    while error is not None:
        messages.append(error.message)
        error = error.cause
    return "\n".join(messages)


def small_platform(services: Endpoints, isolated: tuple[str, str], **env: str) -> Platform:
    settings = Settings.from_env(
        {
            "SHOPEASE_START_DATE": "2026-03-01",
            "SHOPEASE_PRODUCTS": "300",
            "SHOPEASE_ORDERS_PER_WINDOW": "40",
            "SHOPEASE_NEW_CUSTOMERS_PER_WINDOW": "10",
            **env,
        }
    )
    defs = build_definitions(settings)
    name, pg_url = isolated
    resources = dict(defs.resources or {})
    resources["mongo"] = MongoResource(uri=services.mongodb_uri, database=name)
    resources["postgres"] = PostgresResource(url=pg_url)
    return Platform(defs, resources, name, pg_url, dg.DagsterInstance.ephemeral(), settings)


@pytest.fixture
def platform(services: Endpoints, isolated_stores: tuple[str, str]) -> Platform:
    return small_platform(services, isolated_stores)


FOUR_MONTHS_YEAR = 2025


@pytest.fixture(scope="session")
def four_months(services: Endpoints) -> Iterator[Platform]:
    """September-December 2025 at a small volume, materialized by the window job as one run over 976 windows.

    Shared by the modules that check the marts, the dashboard and the extracts against SQL on `raw`: it holds
    the November-December peak, two opposite category seasons and about 600 price changes.
    """
    year = FOUR_MONTHS_YEAR
    with fresh_databases(services, "dbt_marts_year") as stores:
        platform = small_platform(
            services,
            stores,
            SHOPEASE_START_DATE=f"{year}-01-01",
            SHOPEASE_PRODUCTS="200",
            SHOPEASE_ORDERS_PER_WINDOW="30",
            SHOPEASE_NEW_CUSTOMERS_PER_WINDOW="8",
        )
        tags = dict(zip(RANGE_TAGS, (f"{year}-09-01-00:00", f"{year}-12-31-21:00"), strict=True))
        result = platform.run_job(WINDOW_JOB, tags=tags)
        assert result.success
        yield platform
