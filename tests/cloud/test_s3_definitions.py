"""The cloud version's graph: `s3/...` in place of `mongo/...`, upstream of the same raw tables and everything after.

These build the definitions only (no server); `tests/integration/test_definitions.py` validates them with
`dagster definitions validate` for both raw stores.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from shopease_platform.definitions import build_definitions, mart_keys
from shopease_platform.orchestration.jobs import RELOAD_JOB, WINDOW_JOB
from shopease_platform.settings import Settings

S3_NAMES = ("product_catalog", "stores", "customers", "price_events", "raw_orders")
S3_KEYS = {dg.AssetKey(["s3", name]) for name in S3_NAMES}


def _definitions(raw_store: str, home: Path) -> dg.Definitions:
    return build_definitions(Settings.from_env({"SHOPEASE_HOME": str(home), "SHOPEASE_RAW_STORE": raw_store}))


def _ancestors(graph: dg.AssetGraph, key: dg.AssetKey) -> set[dg.AssetKey]:
    seen, frontier = set(), [key]
    while frontier:
        for parent in graph.get(frontier.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                frontier.append(parent)
    return seen


def test_the_s3_graph_replaces_mongo_assets_and_keeps_everything_downstream(tmp_path: Path) -> None:
    cloud, default = _definitions("s3", tmp_path), _definitions("mongodb", tmp_path)
    graph, mongo_graph = cloud.resolve_asset_graph(), default.resolve_asset_graph()
    keys, mongo_keys = set(graph.get_all_asset_keys()), set(mongo_graph.get_all_asset_keys())
    assert not any(key.path[0] == "mongo" for key in keys)
    assert {key for key in keys if key.path[0] == "s3"} == S3_KEYS
    assert keys - S3_KEYS == {key for key in mongo_keys if key.path[0] != "mongo"}  # same raw, dbt, delivery

    raw = sorted(key for key in keys if key.path[0] == "raw")
    assert raw and all(graph.get(key).parent_keys <= S3_KEYS for key in raw)
    for mart in mart_keys():
        if mart.path[-1].startswith(("fct_", "mart_")):
            upstream = _ancestors(graph, mart)
            assert {dg.AssetKey(["s3", "product_catalog"]), dg.AssetKey(["s3", "raw_orders"])} <= upstream, mart

    # The same schedule, partitions, freshness checks and jobs; reloads leave the raw store alone.
    assert {s.name for s in cloud.schedules or []} == {s.name for s in default.schedules or []}
    checks = {key for c in cloud.asset_checks or [] for key in c.check_keys}
    assert checks == {key for c in default.asset_checks or [] for key in c.check_keys}
    assert (
        graph.get(dg.AssetKey(["s3", "raw_orders"])).partitions_def
        == mongo_graph.get(dg.AssetKey(["mongo", "raw_orders"])).partitions_def
    )
    reload_job = cloud.resolve_job_def(RELOAD_JOB)
    assert not any(key.path[0] == "s3" for key in reload_job.asset_layer.selected_asset_keys)
    assert set(cloud.resolve_job_def(WINDOW_JOB).asset_layer.selected_asset_keys) >= S3_KEYS
    order_checks = graph.get(dg.AssetKey(["raw", "orders"])).check_keys
    assert dg.AssetCheckKey(dg.AssetKey(["raw", "orders"]), "reconciles_with_manifest") in order_checks
