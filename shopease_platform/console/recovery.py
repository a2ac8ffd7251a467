"""Before a run starts: one command at a time per state folder, and what a killed command left behind cleared.

A `shopease backfill` killed with SIGKILL leaves its Dagster run `STARTED` forever and, when it died inside a
MongoDB transaction, that transaction open: it holds write locks on the products whose stock it moved, so the
next run's transaction would meet a WriteConflict until mongod expires it. Runs are tagged with the process
that executes them, so a later command can tell a dead run from a live one.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path
from typing import IO

import dagster as dg
import psutil
import pymongo
from pymongo.errors import PyMongoError

from shopease_platform.services import ServiceError

PID_TAG, HOST_TAG, BORN_TAG = "shopease/pid", "shopease/host", "shopease/process_started"
IN_PROGRESS = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING]


def process_tags() -> dict[str, str]:
    """Tags naming this process, so that a run whose process is gone can be recognised."""
    me = psutil.Process()
    return {PID_TAG: str(me.pid), HOST_TAG: socket.gethostname(), BORN_TAG: f"{me.create_time():.2f}"}


def process_alive(tags: dict[str, str]) -> bool:
    """False only when the tagged process is certainly gone (same host, pid dead or recycled)."""
    if tags.get(HOST_TAG) != socket.gethostname() or PID_TAG not in tags:
        return True
    try:
        process = psutil.Process(int(tags[PID_TAG]))
        return f"{process.create_time():.2f}" == tags.get(BORN_TAG) and process.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, ValueError):
        return False


class CommandLock:
    """An exclusive lock on the state folder for the length of one demo or backfill (released if it dies)."""

    def __init__(self, home: Path) -> None:
        self.path = home / "run.lock"
        self._file: IO[str] | None = None

    def acquire(self, command: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise ServiceError(
                f"{holder} is already running on this state folder ({self.path.parent}); wait for it to "
                "finish, then re-run the same command"
            ) from None
        handle.truncate(0)
        handle.write(f"`shopease {command}` (pid {os.getpid()})")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark as failed the runs left STARTED by a process that is gone; returns their ids."""
    dead = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=IN_PROGRESS)):
        if PID_TAG in run.tags and not process_alive(dict(run.tags)):
            instance.report_run_failed(
                run, message=f"process {run.tags[PID_TAG]} ended without finishing the run (killed?)"
            )
            dead.append(run.run_id)
    return dead


def live_runs(instance: dg.DagsterInstance) -> int:
    """Runs still in progress whose process is alive (launched by the daemon, the UI, or another command)."""
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=IN_PROGRESS))
    return sum(1 for run in runs if process_alive(dict(run.tags)))


def abort_orphaned_transactions(mongodb_uri: str, timeout_s: float) -> int:
    """Abort the transactions of idle sessions (their client is gone); returns how many."""
    client: pymongo.MongoClient = pymongo.MongoClient(mongodb_uri, serverSelectionTimeoutMS=int(timeout_s * 1000))
    try:
        sessions = list(
            client.admin.aggregate(
                [
                    {"$currentOp": {"idleSessions": True, "allUsers": True}},
                    {"$match": {"type": "idleSession", "transaction": {"$exists": True}}},
                    {"$project": {"lsid": 1}},
                ]
            )
        )
        if sessions:
            client.admin.command("killSessions", [session["lsid"] for session in sessions])
        return len(sessions)
    except PyMongoError:
        return 0  # not allowed on this server, or it is down: the run's own errors will say so
    finally:
        client.close()
