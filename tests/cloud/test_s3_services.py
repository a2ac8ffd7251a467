"""`shopease services` with the cloud raw store: SeaweedFS is started, reported, exported and stopped."""

from __future__ import annotations

import os
from pathlib import Path

import boto3
import psutil
import pytest

from shopease_platform.services import Endpoints, ServiceError, ServiceManager, seaweedfs
from shopease_platform.settings import Settings

pytestmark = pytest.mark.integration


def test_services_up_starts_seaweedfs_for_the_s3_raw_store_and_down_stops_it(
    services: Endpoints, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Keys exported for another state folder (or real AWS keys) must not reach the embedded gateway.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweedfs.ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "the-keys-of-another-state-folder")
    settings = Settings.from_env({
        "SHOPEASE_HOME": str(tmp_path),
        "SHOPEASE_MONGODB_URI": services.mongodb_uri,
        "SHOPEASE_POSTGRES_URL": services.postgres_url,
        "SHOPEASE_RAW_STORE": "s3",
        "SHOPEASE_S3_BUCKET": "shopease-services-test",
    })  # fmt: skip
    manager = ServiceManager(settings)
    try:
        endpoints = manager.up()
        assert endpoints.s3 is not None and endpoints.s3.source == "embedded"
        assert any(line.startswith("seaweedfs running") for line in manager.status())
        env = endpoints.as_env(settings)
        client = boto3.client(
            "s3",
            endpoint_url=env["SHOPEASE_S3_ENDPOINT_URL"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_DEFAULT_REGION"],
        )
        assert "shopease-services-test" in [b["Name"] for b in client.list_buckets()["Buckets"]]
        assert manager.up().s3 == endpoints.s3  # reused, not started twice
        pid = manager.state.load()["seaweedfs"].pid
    finally:
        stopped = manager.down()
    assert any(line.startswith("seaweedfs") for line in stopped)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert any(line.startswith("seaweedfs stopped") for line in manager.status())


def test_an_external_endpoint_starts_nothing(services: Endpoints, tmp_path: Path) -> None:
    settings = Settings.from_env({
        "SHOPEASE_HOME": str(tmp_path),
        "SHOPEASE_MONGODB_URI": services.mongodb_uri,
        "SHOPEASE_POSTGRES_URL": services.postgres_url,
        "SHOPEASE_RAW_STORE": "s3",
        "SHOPEASE_S3_ENDPOINT_URL": "http://127.0.0.1:9",
        "SHOPEASE_CONNECT_TIMEOUT_S": "1",
    })  # fmt: skip
    manager = ServiceManager(settings)
    with pytest.raises(ServiceError, match="SHOPEASE_S3_ENDPOINT_URL"):
        manager.up()
    assert "seaweedfs" not in manager.state.load()
    assert any(line.startswith("s3        external") for line in manager.status())


def test_a_start_that_never_serves_leaves_nothing_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    never_serves = tmp_path / "weed"
    never_serves.write_text('#!/bin/sh\nexec python3 -c "import time; time.sleep(600)" "$@"\n')
    never_serves.chmod(0o755)
    monkeypatch.setenv("SHOPEASE_WEED_BIN", str(never_serves))
    with pytest.raises(ServiceError, match="did not serve S3"):
        seaweedfs.start(tmp_path, timeout_s=2)
    data_dir = str(tmp_path / "seaweedfs" / "data")
    left = [p for p in psutil.process_iter(["cmdline"]) if any(data_dir in part for part in p.info["cmdline"] or [])]
    assert [p for p in left if p.status() != psutil.STATUS_ZOMBIE] == []
    assert os.environ["SHOPEASE_WEED_BIN"] == str(never_serves)
