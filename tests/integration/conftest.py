"""Fixtures for tests that talk to the real servers directly (no Dagster)."""

from __future__ import annotations

from collections.abc import Iterator

import pymongo
import pytest

from shopease_platform.services import Endpoints


@pytest.fixture
def client(services: Endpoints) -> Iterator[pymongo.MongoClient]:
    """A timezone-aware client of the embedded (or configured) replica set."""
    client: pymongo.MongoClient = pymongo.MongoClient(services.mongodb_uri, tz_aware=True)
    yield client
    client.close()
