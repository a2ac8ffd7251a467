"""The Dagster definitions load cleanly, without any server, as `dagster definitions validate` checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("raw_store", ["mongodb", "s3"])
def test_dagster_definitions_validate(tmp_path: Path, raw_store: str) -> None:
    """Validation needs no server: an empty DAGSTER_HOME gives it an in-memory instance."""
    dagster = Path(sys.executable).parent / "dagster"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPEASE_")}
    env.update({"DAGSTER_HOME": str(tmp_path), "SHOPEASE_RAW_STORE": raw_store})
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "shopease_platform.definitions"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation successful" in result.stdout + result.stderr


def test_every_mart_has_an_upstream_path_from_the_catalog_and_raw_orders() -> None:
    """Facts and marts descend from both `product_catalog` and `raw_orders`; dimensions from MongoDB or a seed."""
    import dagster as dg

    from shopease_platform.definitions import build_definitions, mart_keys

    graph = build_definitions().resolve_asset_graph()
    marts = mart_keys()
    assert {"fct_order_items", "mart_product_popularity", "mart_state_top_products"} <= {k.path[-1] for k in marts}
    for mart in marts:
        upstream = graph.get(mart).parent_keys
        seen, frontier = set(upstream), list(upstream)
        while frontier:
            for parent in graph.get(frontier.pop()).parent_keys:
                if parent not in seen:
                    seen.add(parent)
                    frontier.append(parent)
        if mart.path[-1].startswith(("fct_", "mart_")):
            for root in (["mongo", "product_catalog"], ["mongo", "raw_orders"]):
                assert dg.AssetKey(root) in seen, f"{mart.to_user_string()} does not descend from {root}"
        else:
            assert any(key.path[0] in ("mongo", "seeds") for key in seen), f"{mart.to_user_string()} has no origin"
