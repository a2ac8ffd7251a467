"""A server lost mid-run, noticed within seconds and said in one line.

Without it, a dead PostgreSQL shows as dozens of Dagster storage retries and a traceback after up to a minute
(Dagster's own storage lives on the same server and fails first), and a dead mongod as whatever the step was
doing. The watchdog probes each server every second; after a few failed probes in a row it names the server
and the variable that points at it, and ends the command: nothing more can be recorded, and a re-run resumes
from the windows already written (the next start marks this run failed and aborts its open transactions).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
import pymongo
from pymongo.errors import PyMongoError

from shopease_platform.services import Endpoints
from shopease_platform.settings import redact

PROBE_EVERY_S = 1.0
PROBE_TIMEOUT_S = 2.0
FAILURES_IN_A_ROW = 3
SERVER_LOST_EXIT = 2


@dataclass(frozen=True)
class Server:
    label: str
    setting: str
    address: str
    source: str
    probe: Callable[[], None]

    def lost_line(self, error: str) -> str:
        fix = "`shopease services up` restarts it" if self.source == "embedded" else "check that server"
        return (
            f"shopease: error: {self.label} stopped answering at {self.setting}={redact(self.address)} ({error}); {fix}"
        )


def servers(endpoints: Endpoints) -> list[Server]:
    def mongodb() -> None:
        client: pymongo.MongoClient = pymongo.MongoClient(
            endpoints.mongodb_uri,
            serverSelectionTimeoutMS=int(PROBE_TIMEOUT_S * 1000),
            connectTimeoutMS=int(PROBE_TIMEOUT_S * 1000),
        )
        try:
            client.admin.command("ping")
        finally:
            client.close()

    def postgres() -> None:
        with psycopg.connect(endpoints.postgres_url, connect_timeout=int(PROBE_TIMEOUT_S)) as conn:
            conn.execute("select 1")

    return [
        Server("MongoDB", "SHOPEASE_MONGODB_URI", endpoints.mongodb_uri, endpoints.mongodb_source, mongodb),
        Server("PostgreSQL", "SHOPEASE_POSTGRES_URL", endpoints.postgres_url, endpoints.postgres_source, postgres),
    ]


def first_lost(candidates: list[Server]) -> tuple[Server, str] | None:
    """One probe of each server: the first that does not answer, with the reason."""
    for server in candidates:
        try:
            server.probe()
        except (PyMongoError, psycopg.Error, OSError) as error:
            return server, str(error).splitlines()[0][:160]
    return None


class Watchdog(threading.Thread):
    """Probes the servers while a run executes; `on_lost(server, error)` is called once, from this thread."""

    def __init__(self, candidates: list[Server], on_lost: Callable[[Server, str], None]) -> None:
        super().__init__(name="shopease-watchdog", daemon=True)
        self.candidates = candidates
        self.on_lost = on_lost
        self.stopped = threading.Event()

    def run(self) -> None:
        failures: dict[str, int] = {}
        while not self.stopped.wait(PROBE_EVERY_S):
            lost = first_lost(self.candidates)
            if lost is None:
                failures.clear()
                continue
            server, error = lost
            failures[server.label] = failures.get(server.label, 0) + 1
            if failures[server.label] >= FAILURES_IN_A_ROW:
                self.on_lost(server, error)
                return

    def stop(self) -> None:
        self.stopped.set()


def exit_now(code: int = SERVER_LOST_EXIT) -> None:
    """End the process at once: the main thread may be stuck in a driver's retry loop for a minute."""
    os._exit(code)
