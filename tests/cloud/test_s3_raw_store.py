"""The S3 raw store through the real SeaweedFS: atomic windows, exact re-runs, quarantine, a clear failure when down."""

from __future__ import annotations

import hashlib
import re
import socket
import time
from datetime import UTC, datetime
from typing import Any

import dagster as dg
import psycopg
import pyarrow as pa
import pytest

from shopease_platform.etl import s3_source
from shopease_platform.etl.tables import ensure_raw_tables
from shopease_platform.resources.s3 import S3Resource
from shopease_platform.s3_store import Dataset, S3Location, S3StoreError, landing, read_manifest, tables
from shopease_platform.s3_store.datasets import PartData, write_dataset
from shopease_platform.services import Endpoints
from shopease_platform.simulation import WINDOW, SimulationConfig
from tests.cloud.conftest import s3_platform
from tests.e2e.conftest import Platform, step_failure_message

pytestmark = pytest.mark.integration
FIRST, LAST = "2026-03-01-00:00", "2026-03-01-09:00"
WINDOW_START = datetime(2026, 3, 1, 6, tzinfo=UTC)
CONFIG = SimulationConfig(seed=42, n_products=300, start=datetime(2026, 3, 1, tzinfo=UTC),
                          base_orders_per_window=40, base_new_customers_per_window=10)  # fmt: skip


class Injected(RuntimeError):
    pass


def _objects(store: S3Location) -> dict[str, str]:
    """Every key of the store with the SHA-256 of its bytes."""
    return {key: hashlib.sha256(store.get(key) or b"").hexdigest() for key in store.keys(store.prefix + "/")}


def _tables(url: str) -> tuple[Any, ...]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            """select (select md5(string_agg(concat_ws('|', order_id, customer_id, ordered_at, order_total, status),
                                              ',' order by order_id)) from raw.orders),
                      (select md5(string_agg(concat_ws('|', order_id, line_number, product_id, quantity, unit_price,
                                              line_revenue), ',' order by order_id, line_number)) from raw.order_items),
                      (select md5(string_agg(concat_ws('|', customer_id, email, created_at), ',' order by customer_id))
                       from raw.customers),
                      (select md5(string_agg(concat_ws('|', product_id, price, stock, updated_at),
                                              ',' order by product_id)) from raw.products),
                      (select count(*) from raw.orders), (select count(*) from raw.rejected_documents)"""
        ).fetchone()


def _checks(result: Any) -> dict[str, Any]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


@pytest.fixture
def cloud(services: Endpoints, isolated_stores: tuple[str, str], s3_resource: S3Resource) -> Platform:
    return s3_platform(services, isolated_stores, s3_resource)


def test_rerunning_windows_three_times_leaves_identical_objects_and_tables(cloud: Platform, s3_store: S3Location):
    snapshots = []
    for _ in range(3):
        assert cloud.materialize_static().success
        assert cloud.materialize_windows(FIRST, LAST).success
        assert cloud.materialize_static().success  # products' stock and price follow the windows
        snapshots.append((_objects(s3_store), _tables(cloud.postgres_url)))
    objects, loaded = snapshots[0]
    for other_objects, other_loaded in snapshots[1:]:
        assert set(other_objects) == set(objects)
        assert other_objects == objects
        assert other_loaded == loaded
    assert loaded[4] > 50 and loaded[5] == 0
    assert any("/orders/window=2026-03-01T06/" in key for key in objects)
    assert sum(key.endswith("_manifest.json") for key in objects) == 4 * 3 + 2  # 4 windows x 3 entities, catalog


def test_a_failure_between_parts_and_manifest_leaves_the_window_invisible_until_rerun(
    cloud: Platform, s3_store: S3Location
) -> None:
    assert cloud.materialize_static().success

    def fail() -> None:
        raise Injected("between parts and manifest")

    with pytest.raises(Injected):
        landing.land_order_windows(s3_store, CONFIG, [WINDOW_START], before_manifest=fail)
    parts = list(s3_store.keys(Dataset("orders", WINDOW_START).folder(s3_store)))
    assert parts and not any(key.endswith("_manifest.json") for key in parts)  # parts written, no manifest
    assert read_manifest(s3_store, Dataset("orders", WINDOW_START)) is None
    with psycopg.connect(cloud.postgres_url) as conn:
        ensure_raw_tables(conn)
        result = s3_source.load_orders(s3_store, conn, (WINDOW_START, WINDOW_START + WINDOW))
        assert result.rows["orders"] == 0  # the loader does not see the half-written window

    window = WINDOW_START.strftime("%Y-%m-%d-%H:%M")
    run = cloud.materialize_windows(window, window)
    assert run.success
    manifest = read_manifest(s3_store, Dataset("orders", WINDOW_START))
    assert manifest is not None
    assert sorted(s3_store.keys(Dataset("orders", WINDOW_START).folder(s3_store))) == sorted(
        [*(p.key for p in manifest.parts), Dataset("orders", WINDOW_START).manifest_key(s3_store)]
    )
    assert _checks(run)["reconciles_with_manifest"].passed
    with psycopg.connect(cloud.postgres_url) as conn:
        loaded = conn.execute("select count(*) from raw.orders").fetchone()[0]
    assert loaded == manifest.totals["orders"] > 0


def test_a_truncated_part_and_a_wrongly_typed_row_are_quarantined_and_the_rest_loads(
    cloud: Platform, s3_store: S3Location
) -> None:
    assert cloud.materialize_static().success
    parts, totals = landing.simulate_order_window(CONFIG, WINDOW_START, orders_per_part=10)
    orders = [p for p in parts if p.role == "orders"]
    assert len(orders) >= 3
    # A producer wrote one order with its quantity as text: its own part, its own schema.
    row = orders[-1].table.slice(0, 1).to_pylist()[0]
    orders[-1] = PartData("orders", orders[-1].table.slice(1), {})
    for item in row["items"]:
        item["quantity"] = str(item["quantity"])
    foreign = pa.Table.from_pylist([row])
    assert foreign.schema != tables.ORDERS
    written = write_dataset(
        s3_store, Dataset("orders", WINDOW_START), [*orders, PartData("orders", foreign), *parts[len(orders) :]], totals
    )
    truncated = written.parts_of("orders")[1]
    s3_store.put(truncated.key, (s3_store.get(truncated.key) or b"")[: truncated.bytes // 2])

    window = WINDOW_START.strftime("%Y-%m-%d-%H:%M")
    run = cloud.materialize_windows(window, window, selection=dg.AssetSelection.groups("postgres_raw"))
    assert run.success
    with psycopg.connect(cloud.postgres_url) as conn:
        rejects = dict(conn.execute(
            "select source_id, reason from raw.rejected_documents where collection = 'orders'"
        ).fetchall())  # fmt: skip
        loaded = conn.execute("select count(*) from raw.orders").fetchone()[0]
    assert rejects[row["_id"]] == "quantity is not an integer"
    assert rejects[truncated.key].startswith("corrupt Parquet part: checksum mismatch")
    assert len(rejects) == 2
    assert loaded == totals["orders"] - truncated.rows - 1 > 0
    checks = _checks(run)
    assert checks["reconciles_with_manifest"].passed  # quarantined part and row accounted for
    assert not checks["rejected_documents"].passed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once closed


def test_seaweedfs_down_fails_quickly_naming_the_endpoint_setting() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    started = time.monotonic()
    with pytest.raises(S3StoreError, match=f"SHOPEASE_S3_ENDPOINT_URL={re.escape(url)}"):
        S3Resource(endpoint_url=url, connect_timeout_s=2).get_store()
    assert time.monotonic() - started < 10


@pytest.mark.slow
def test_seaweedfs_down_fails_the_run_quickly_naming_the_endpoint_setting(cloud: Platform) -> None:
    """A run against a stopped S3 server ends failed after its retries, the setting named, within a minute."""
    url = f"http://127.0.0.1:{_free_port()}"
    cloud.resources["s3"] = S3Resource(endpoint_url=url, bucket="shopease-test", connect_timeout_s=2)
    started = time.monotonic()
    result = dg.materialize(
        [a for a in cloud.assets(False) if any(key.path[0] == "s3" for key in a.keys)],
        resources=cloud.resources,
        instance=cloud.instance,
        raise_on_error=False,
    )
    assert not result.success
    assert f"S3 is unreachable at SHOPEASE_S3_ENDPOINT_URL={url}" in step_failure_message(result)
    assert time.monotonic() - started < 60
