"""`make demo`: start (or reuse) the servers and materialize the whole asset graph on the Dagster instance."""

from __future__ import annotations

import os
import time

import dagster as dg

from shopease_platform.services import ServiceManager
from shopease_platform.settings import Settings


def run_demo(settings: Settings, days: int | None = None) -> int:
    started = time.monotonic()
    endpoints = ServiceManager(settings).up()
    os.environ.update(endpoints.as_env(settings))
    print(f"MongoDB    ({endpoints.mongodb_source}): {endpoints.mongodb_uri}")
    print(f"PostgreSQL ({endpoints.postgres_source}): {endpoints.postgres_url}")

    from shopease_platform.definitions import build_definitions

    defs = build_definitions(settings)
    assets = list(defs.resolve_asset_graph().get_all_asset_keys())
    with dg.DagsterInstance.get() as instance:
        if assets:
            result = dg.materialize(defs.assets or [], instance=instance, resources=defs.resources, raise_on_error=True)
            print(f"materialized {len(assets)} assets in run {result.run_id}")
        else:
            print("no assets are defined yet: services and the Dagster instance are ready")
    print(f"done in {time.monotonic() - started:.1f}s")
    print("Dagster UI: `make ui`, then open http://127.0.0.1:3000")
    return 0
