"""Freshness: is every raw table and mart updated within the 3-hour cadence plus a grace period?

Two views in one place, both as asset checks on the raw assets: Dagster's own last-update checks (raw tables
and marts, limit `SHOPEASE_FRESHNESS_LIMIT_MINUTES`) and `dbt source freshness` (the thresholds in the dbt
sources, measured on `_loaded_at` inside PostgreSQL). A sensor evaluates the Dagster checks continuously.
"""

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_shared.utils.warnings import SupersessionWarning

from shopease_platform.resources import PostgresResource
from shopease_platform.resources.dbt_project import warehouse_profile
from shopease_platform.settings import Settings

RAW_TABLES = ("products", "stores", "customers", "price_events", "orders", "order_items")
RAW_KEYS = [dg.AssetKey(["raw", table]) for table in RAW_TABLES]
DBT_FRESHNESS_CHECK = "dbt_source_freshness"


def build_freshness_checks(settings: Settings, mart_keys: Sequence[dg.AssetKey]) -> Sequence[dg.AssetChecksDefinition]:
    """Last-update checks on the raw tables and the marts."""
    with _superseded_quietly():
        return dg.build_last_update_freshness_checks(
            assets=[*RAW_KEYS, *mart_keys], lower_bound_delta=timedelta(minutes=settings.freshness_limit_minutes)
        )


def build_freshness_sensor(checks: Sequence[dg.AssetChecksDefinition]) -> dg.SensorDefinition:
    with _superseded_quietly():
        return dg.build_sensor_for_freshness_checks(
            freshness_checks=checks, name="freshness_checks", default_status=dg.DefaultSensorStatus.RUNNING
        )


@contextmanager
def _superseded_quietly() -> Iterator[None]:
    """Freshness checks are superseded by the preview `FreshnessPolicy`; checks stay until that is stable."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=SupersessionWarning)
        yield


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(DBT_FRESHNESS_CHECK, asset=key, description="`dbt source freshness` on `_loaded_at`.")
        for key in RAW_KEYS
    ],
    can_subset=True,
)
def dbt_source_freshness(
    context: dg.AssetCheckExecutionContext, dbt: DbtCliResource, postgres: PostgresResource
) -> Iterator[dg.AssetCheckResult]:
    """Runs `dbt source freshness` once and reports each raw table's status against the dbt thresholds."""
    with warehouse_profile(postgres):
        invocation = dbt.cli(["source", "freshness"], raise_on_error=False).wait()
    results = {r["unique_id"].rsplit(".", 1)[-1]: r for r in invocation.get_artifact("sources.json").get("results", [])}
    for check_key in context.selected_asset_check_keys:
        table = check_key.asset_key.path[-1]
        result = results.get(table)
        if result is None:
            yield dg.AssetCheckResult(
                asset_key=check_key.asset_key,
                check_name=DBT_FRESHNESS_CHECK,
                passed=True,
                metadata={"status": "no freshness threshold (static reference data)"},
            )
            continue
        status = result.get("status", "error")
        yield dg.AssetCheckResult(
            asset_key=check_key.asset_key,
            check_name=DBT_FRESHNESS_CHECK,
            passed=status == "pass",
            severity=dg.AssetCheckSeverity.WARN if status == "warn" else dg.AssetCheckSeverity.ERROR,
            metadata={
                "status": status,
                "max_loaded_at": str(result.get("max_loaded_at")),
                "hours_since_load": round(float(result.get("max_loaded_at_time_ago_in_s") or 0) / 3600, 2),
            },
        )
