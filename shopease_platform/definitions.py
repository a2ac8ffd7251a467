"""The one entry point Dagster loads: every asset, check, schedule, sensor and resource of the platform.

Resources read their servers from environment variables (`EnvVar`) when a run starts, so loading these
definitions never needs a server, and the same code runs against embedded or external servers.
"""

from __future__ import annotations

import dagster as dg

from shopease_platform.assets.mongo_raw import mongo_raw_assets
from shopease_platform.assets.postgres_raw import postgres_raw_assets
from shopease_platform.resources import MongoResource, PostgresResource
from shopease_platform.resources.etl import EtlResource
from shopease_platform.resources.simulation import SimulationResource
from shopease_platform.settings import Settings


def build_resources(settings: Settings | None = None) -> dict[str, dg.ConfigurableResource]:
    settings = settings or Settings.from_env()
    return {
        "mongo": MongoResource(
            uri=dg.EnvVar("SHOPEASE_MONGODB_URI"),
            database=settings.mongodb_database,
            connect_timeout_s=settings.connect_timeout_s,
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
        "etl": EtlResource(batch_size=settings.etl_batch_size, max_reject_share=settings.max_reject_share),
    }


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    return dg.Definitions(assets=[*mongo_raw_assets, *postgres_raw_assets], resources=build_resources(settings))


defs = build_definitions()
