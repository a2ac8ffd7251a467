"""The one entry point Dagster loads: every asset, check, schedule, sensor and resource of the platform.

Resources read their servers from environment variables (`EnvVar`) when a run starts, so loading these
definitions never needs a server, and the same code runs against embedded or external servers.
"""

from __future__ import annotations

import dagster as dg

from shopease_platform.assets.dbt import dbt_resource, shopease_dbt_models
from shopease_platform.assets.delivery import delivery_assets
from shopease_platform.assets.mongo_raw import mongo_raw_assets
from shopease_platform.assets.postgres_raw import postgres_raw_assets
from shopease_platform.assets.postgres_raw_s3 import postgres_raw_s3_assets
from shopease_platform.assets.s3_raw import s3_raw_assets
from shopease_platform.delivery import DeliveryResource
from shopease_platform.orchestration.freshness import (
    build_freshness_checks,
    build_freshness_sensor,
    dbt_source_freshness,
)
from shopease_platform.orchestration.jobs import build_jobs
from shopease_platform.orchestration.partitions import build_window_partitions, with_window_partitions
from shopease_platform.orchestration.schedules import build_schedules
from shopease_platform.orchestration.sensors import build_late_orders_sensor, record_run_failures
from shopease_platform.resources import MongoResource, PostgresResource
from shopease_platform.resources.etl import EtlResource
from shopease_platform.resources.s3 import S3Resource
from shopease_platform.resources.simulation import SimulationResource
from shopease_platform.settings import Settings


def build_resources(settings: Settings | None = None) -> dict[str, dg.ConfigurableResource]:
    settings = settings or Settings.from_env()
    cloud: dict[str, dg.ConfigurableResource] = {}
    if settings.raw_store == "s3":
        cloud["s3"] = S3Resource(
            endpoint_url=dg.EnvVar("SHOPEASE_S3_ENDPOINT_URL"),
            bucket=settings.s3_bucket,
            prefix=settings.s3_prefix,
            connect_timeout_s=settings.connect_timeout_s,
        )
    return {
        **cloud,
        "mongo": MongoResource(
            uri=dg.EnvVar("SHOPEASE_MONGODB_URI"),
            database=settings.mongodb_database,
            connect_timeout_s=settings.connect_timeout_s,
            orders_per_transaction=settings.mongodb_orders_per_transaction,
        ),
        "postgres": PostgresResource(
            url=dg.EnvVar("SHOPEASE_POSTGRES_URL"), connect_timeout_s=settings.connect_timeout_s
        ),
        "simulation": SimulationResource(
            seed=settings.seed,
            products=settings.products,
            orders_per_window=settings.orders_per_window,
            new_customers_per_window=settings.new_customers_per_window,
            start_date=settings.start_date.date().isoformat(),
        ),
        "etl": EtlResource(
            batch_size=settings.etl_batch_size,
            windows_per_transaction=settings.etl_windows_per_transaction,
            max_reject_share=settings.max_reject_share,
        ),
        "dbt": dbt_resource(),
        "delivery": DeliveryResource(output_dir=str(settings.output_dir)),
    }


def mart_keys() -> list[dg.AssetKey]:
    """Every dbt model in the `analytics` schema (facts, dimensions, marts)."""
    return sorted((k for k in shopease_dbt_models.keys if k.path[0] == "analytics"), key=lambda k: k.path)


def raw_assets(settings: Settings) -> list[dg.AssetsDefinition]:
    """The raw store and its load into PostgreSQL: MongoDB, or S3 in the cloud version (same `raw/...` keys)."""
    if settings.raw_store == "s3":
        return [*s3_raw_assets, *postgres_raw_s3_assets]
    return [*mongo_raw_assets, *postgres_raw_assets]


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    freshness_checks = build_freshness_checks(settings, mart_keys())
    window_job, reload_job, freshness_job, daily_build_job = build_jobs(
        [*freshness_checks, dbt_source_freshness], shopease_dbt_models
    )
    # Late orders are announced by MongoDB change streams; S3 windows are immutable once their manifest is in.
    late_orders = [build_late_orders_sensor(settings, reload_job)] if settings.raw_store == "mongodb" else []
    assets = with_window_partitions(
        [*raw_assets(settings), shopease_dbt_models, *delivery_assets], build_window_partitions(settings)
    )
    return dg.Definitions(
        assets=assets,
        asset_checks=[*freshness_checks, dbt_source_freshness],
        jobs=[window_job, reload_job, freshness_job, daily_build_job],
        schedules=build_schedules(window_job, freshness_job, daily_build_job),
        sensors=[
            *late_orders,
            build_freshness_sensor(freshness_checks),
            record_run_failures,
        ],
        resources=build_resources(settings),
    )


defs = build_definitions()
