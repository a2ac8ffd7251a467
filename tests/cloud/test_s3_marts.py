"""The cloud version end to end: the same seed and range give the same marts, row for row, as the MongoDB run."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from shopease_platform.orchestration.jobs import WINDOW_JOB
from shopease_platform.resources import MongoResource
from shopease_platform.resources.s3 import S3Resource
from shopease_platform.services import Endpoints
from tests.cloud.conftest import s3_platform
from tests.conftest import fresh_databases
from tests.e2e.conftest import RANGE_TAGS, Platform, small_platform

pytestmark = [pytest.mark.integration, pytest.mark.slow]
RANGE = ("2026-03-01-00:00", "2026-03-07-21:00")  # a week (56 windows) in one run, as a backfill runs
# MongoDB's products take the end of their transaction's last window as `updated_at`; one window per
# transaction makes that the end of the window that moved them, as the S3 windows record it.


def mongo_platform(services: Endpoints, stores: tuple[str, str]) -> Platform:
    platform = small_platform(services, stores)
    platform.resources["mongo"] = MongoResource(uri=services.mongodb_uri, database=stores[0], orders_per_transaction=1)
    return platform


def _analytics(url: str) -> dict[str, list[tuple]]:
    """Every relation of the analytics schema, without load times, sorted."""
    with psycopg.connect(url) as conn:
        names = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'analytics' order by 1"
        ).fetchall()]  # fmt: skip
        content = {}
        for name in names:
            columns = [r[0] for r in conn.execute(
                """select column_name from information_schema.columns where table_schema = 'analytics'
                   and table_name = %s and column_name not like '%%loaded_at' order by ordinal_position""",
                (name,),
            ).fetchall()]  # fmt: skip
            listed = ", ".join(f'"{c}"' for c in columns)
            content[name] = conn.execute(f'select {listed} from analytics."{name}" order by {listed}').fetchall()
        return content


def _run(platform: Platform) -> dict[str, list[tuple]]:
    result = platform.run_job(WINDOW_JOB, tags=dict(zip(RANGE_TAGS, RANGE, strict=True)))
    assert result.success
    return _analytics(platform.postgres_url)


@pytest.fixture
def mongo_marts(services: Endpoints) -> Iterator[dict[str, list[tuple]]]:
    with fresh_databases(services, "cloud_marts_mongodb") as stores:
        yield _run(mongo_platform(services, stores))


def test_s3_marts_equal_mongodb_marts_row_for_row(
    services: Endpoints, s3_resource: S3Resource, mongo_marts: dict[str, list[tuple]]
) -> None:
    with fresh_databases(services, "cloud_marts_s3") as stores:
        cloud = _run(s3_platform(services, stores, s3_resource))
    assert set(cloud) == set(mongo_marts) and len(cloud) >= 10
    assert sum(len(rows) for rows in cloud.values()) > 1000
    for name, rows in mongo_marts.items():
        assert cloud[name] == rows, f"analytics.{name} differs"
