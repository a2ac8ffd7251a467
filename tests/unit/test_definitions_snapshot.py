"""The definitions' shape, compared with a committed snapshot: refactors must not change what Dagster sees.

Asset keys, groups, owners, kinds, partitions, checks, jobs, schedules and sensors of both raw stores are
written to `snapshots/definitions_<store>.json`. A change that alters any of them fails here; when the change is
meant, regenerate with `SHOPEASE_UPDATE_SNAPSHOTS=1 pytest tests/unit/test_definitions_snapshot.py` and review
the diff like any other.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from shopease_platform.definitions import build_definitions
from shopease_platform.settings import Settings

SNAPSHOTS = Path(__file__).parent / "snapshots"


def describe(defs: dg.Definitions) -> dict[str, Any]:
    """What the Dagster UI shows of the definitions, as plain sorted data."""
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.path):
        node = graph.get(key)
        partitions = node.partitions_def
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "owners": sorted(node.owners),
            "kinds": sorted(node.kinds),
            "partitions": None if partitions is None else _partitions(partitions),
            "backfill_policy": None if node.backfill_policy is None else str(node.backfill_policy.policy_type),
            "parents": sorted(p.to_user_string() for p in node.parent_keys),
        }
    checks = sorted(f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys)
    repository = defs.get_repository_def()
    schedules = {
        s.name: {"cron": s.cron_schedule, "job": s.job_name, "status": str(s.default_status)}
        for s in repository.schedule_defs
    }
    sensors = {s.name: {"status": str(s.default_status)} for s in repository.sensor_defs}
    jobs = sorted(job.name for job in repository.get_all_jobs() if not job.name.startswith("__"))
    return {
        "assets": assets,
        "checks": checks,
        "jobs": jobs,
        "schedules": schedules,
        "sensors": sensors,
        "resources": sorted(defs.resources or {}),
    }


def _partitions(partitions: dg.PartitionsDefinition) -> str:
    fmt = getattr(partitions, "fmt", "")
    return f"{type(partitions).__name__} {partitions} keys {fmt}"


@pytest.mark.parametrize("raw_store", ["mongodb", "s3"])
def test_definitions_match_the_snapshot(raw_store: str) -> None:
    settings = Settings.from_env({"SHOPEASE_START_DATE": "2025-01-01", "SHOPEASE_RAW_STORE": raw_store})
    actual = describe(build_definitions(settings))
    snapshot = SNAPSHOTS / f"definitions_{raw_store}.json"
    if os.environ.get("SHOPEASE_UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
    assert actual == json.loads(snapshot.read_text())
