"""The cloud version's fixtures: a real S3 server for the session, and a fresh key prefix per test.

The server is the embedded SeaweedFS, started in the session's state folder on free ports and stopped at the
end; when SHOPEASE_S3_ENDPOINT_URL is set, the tests use that endpoint (and the AWS credentials in force).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest

from shopease_platform.resources.s3 import S3Resource
from shopease_platform.s3_store import S3Location
from shopease_platform.services import Endpoints, seaweedfs
from shopease_platform.services.cloud import S3Endpoint
from shopease_platform.settings import Settings
from tests.e2e.conftest import Platform, small_platform

BUCKET = "shopease-test"


@pytest.fixture(scope="session")
def s3_endpoint(test_settings: Settings) -> Iterator[S3Endpoint]:
    external = os.environ.get("SHOPEASE_S3_ENDPOINT_URL")
    if external:
        yield S3Endpoint(external, "external", None)
        return
    record = seaweedfs.start(test_settings.home)
    keys = seaweedfs.credentials(test_settings.home)
    saved = dict(os.environ)
    os.environ.update(keys.as_env())
    try:
        yield S3Endpoint(seaweedfs.endpoint_for(record.port), "embedded", keys)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        seaweedfs.stop(record)


def _prefix(request: pytest.FixtureRequest) -> str:
    return "t/" + re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:60]


@pytest.fixture
def s3_resource(s3_endpoint: S3Endpoint, request: pytest.FixtureRequest) -> Iterator[S3Resource]:
    """A resource on this test's own prefix of the test bucket, emptied before and after."""
    resource = S3Resource(endpoint_url=s3_endpoint.url, bucket=BUCKET, prefix=_prefix(request))
    store = resource.get_store()
    _empty(store)
    yield resource
    _empty(store)


@pytest.fixture
def s3_store(s3_resource: S3Resource) -> S3Location:
    return s3_resource.get_store()


def _empty(store: S3Location) -> None:
    store.delete(sorted(store.keys(store.prefix + "/")))


def s3_platform(services: Endpoints, isolated: tuple[str, str], s3: S3Resource, **env: str) -> Platform:
    """The small platform of the e2e tests, with the raw store in S3."""
    platform = small_platform(services, isolated, SHOPEASE_RAW_STORE="s3", **env)
    platform.resources["s3"] = s3
    return platform
