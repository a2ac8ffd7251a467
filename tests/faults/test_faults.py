"""Faults a user meets, recovered from as a user would: by re-running the same `shopease backfill`.

Every fault runs the real command against its own embedded servers (one state folder for the module) over
one day (8 windows) of a small catalog. For each: the message the user sees, the exit code, no orphan
process, no run left STARTED, a re-run that passes first time, and every MongoDB order in `raw` exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil
import psycopg
import pymongo
import pytest

from shopease_platform.resources.dbt_project import DBT_PROJECT_DIR
from shopease_platform.services import ServiceManager, postgres
from shopease_platform.services.state import StateFile
from shopease_platform.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.integration]

DAY = ("2026-03-01", "2026-03-01")
START, END = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)
BAD_ORDERS = 10  # in one window of ~330 orders: ~3%, above the 1% limit
RESUME = "run failed, re-run the same command to resume"


@dataclass
class Backfill:
    home: Path
    env: dict[str, str]
    process: subprocess.Popen[str] | None = None
    started: float = 0.0

    def start(self, **extra: str) -> Backfill:
        self.out = self.home.parent / f"out-{time.monotonic_ns()}.txt"
        self.err = self.out.with_suffix(".err")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shopease_platform.cli", "backfill", "--start", DAY[0], "--end", DAY[1]],
            env={**self.env, **extra}, stdout=self.out.open("w"), stderr=self.err.open("w"), text=True,
        )  # fmt: skip
        return self

    def finish(self, timeout: float = 900) -> tuple[int, str, str]:
        assert self.process is not None
        code = self.process.wait(timeout)
        return code, self.out.read_text(), self.err.read_text()

    def wait_for(self, text: str, timeout: float = 600) -> None:
        """Until the newest event log of this state folder contains `text`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            logs = sorted((self.home / "logs").glob("backfill-*.log"), key=lambda p: p.stat().st_mtime)
            fresh = logs and logs[-1].stat().st_mtime >= time.time() - (time.monotonic() - self.started) - 1
            if fresh and text in logs[-1].read_text(errors="ignore"):
                return
            assert self.process is not None and self.process.poll() is None, "the backfill ended before " + text
            time.sleep(0.2)
        raise AssertionError(f"no {text!r} in the event log within {timeout}s")


@pytest.fixture(scope="module")
def backfill(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backfill]:
    home = tmp_path_factory.mktemp("faults") / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPEASE_") and k != "DAGSTER_HOME"}
    env.update(
        SHOPEASE_HOME=str(home), SHOPEASE_START_DATE="2026-03-01", SHOPEASE_PRODUCTS="300",
        SHOPEASE_ORDERS_PER_WINDOW="40", SHOPEASE_NEW_CUSTOMERS_PER_WINDOW="10", SHOPEASE_CONNECT_TIMEOUT_S="3",
    )  # fmt: skip
    manager = ServiceManager(Settings.from_env(env))
    try:
        manager.up()
        yield Backfill(home, env)
    finally:
        manager.down()
        postgres.forget(home)


def _endpoints(backfill: Backfill):  # type: ignore[no-untyped-def]
    return ServiceManager(Settings.from_env(backfill.env)).endpoints()


def assert_recovered(backfill: Backfill, rejected: int = 0) -> None:
    """No run STARTED, no orphan dbt, and every MongoDB order of the day in raw exactly once (or quarantined)."""
    endpoints = _endpoints(backfill)
    with psycopg.connect(endpoints.dagster_postgres_url) as conn:
        assert conn.execute("select count(*) from runs where status = 'STARTED'").fetchone() == (0,)
    with psycopg.connect(endpoints.postgres_url) as conn:
        rows, distinct = conn.execute(
            "select count(*), count(distinct order_id) from raw.orders where ordered_at >= %s and ordered_at < %s",
            (START, END),
        ).fetchone()
    client: pymongo.MongoClient = pymongo.MongoClient(endpoints.mongodb_uri)
    try:
        in_mongo = client["shopease"].orders.count_documents({"ordered_at": {"$gte": START, "$lt": END}})
    finally:
        client.close()
    assert rows == distinct, "no order twice in raw.orders"
    assert rows + rejected == in_mongo, "no order lost between MongoDB and raw.orders"
    assert orphan_dbt() == []
    records = StateFile(backfill.home).load()
    assert all(record.is_running() for record in records.values())


def orphan_dbt() -> list[psutil.Process]:
    """`dbt` processes of this project whose parent is gone."""
    found = []
    for process in psutil.process_iter(["cmdline", "cwd", "ppid"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "dbt" in cmdline and process.info["cwd"] == str(DBT_PROJECT_DIR) and process.info["ppid"] == 1:
            found.append(process)
    return found


def assert_said(err: str, *lines: str) -> None:
    for line in lines:
        assert line in err, f"{line!r} not in:\n{err}"
    assert "Traceback" not in err
    assert "Retrying failed database connection" not in err


def test_rejects_over_the_limit_fail_the_backfill_and_a_concurrent_one_is_refused(backfill: Backfill) -> None:
    client: pymongo.MongoClient = pymongo.MongoClient(_endpoints(backfill).mongodb_uri)
    at = datetime(2026, 3, 1, 7, tzinfo=UTC)
    client["shopease"].orders.insert_many(
        [{"_id": f"BAD-{n}", "ordered_at": at, "customer_id": None} for n in range(BAD_ORDERS)]
    )
    client.close()

    first = backfill.start()
    first.wait_for("event log:")
    second = Backfill(backfill.home, backfill.env).start()
    code, _, err = second.finish(120)
    assert code == 2
    assert_said(err, "is already running on this state folder", "re-run the same command")

    code, out, err = first.finish()
    assert code == 1, out + err
    assert_said(
        err,
        "quality check `rejected_documents` on raw/orders failed for windows 2026-03-01-00:00..2026-03-01-21:00",
        f"{BAD_ORDERS} of",
        "SHOPEASE_MAX_REJECT_SHARE=0.01",
        "raw.rejected_documents",
        "window 2026-03-01-06:00: 10 order(s)",
    )

    code, out, err = backfill.start(SHOPEASE_MAX_REJECT_SHARE="0.5").finish()
    assert code == 0, out + err
    assert_recovered(backfill, rejected=BAD_ORDERS)


def _kill_and_expect(backfill: Backfill, pid: int, *lines: str) -> float:
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    code, out, err = backfill.finish(120)
    noticed = time.monotonic() - killed
    assert code == 2, out + err
    assert_said(err, *lines, RESUME)
    return noticed


def test_mongod_killed_mid_run(backfill: Backfill) -> None:
    backfill.start(SHOPEASE_MAX_REJECT_SHARE="0.5").wait_for('Started execution of step "mongo__')
    mongod = StateFile(backfill.home).load()["mongodb"]
    noticed = _kill_and_expect(backfill, mongod.pid, "MongoDB stopped answering at SHOPEASE_MONGODB_URI=")
    assert noticed < 30

    code, out, err = backfill.start(SHOPEASE_MAX_REJECT_SHARE="0.5").finish()
    assert code == 0, out + err
    assert StateFile(backfill.home).load()["mongodb"].port == mongod.port
    assert_recovered(backfill, rejected=BAD_ORDERS)


def test_postmaster_killed_mid_run(backfill: Backfill) -> None:
    backfill.start(SHOPEASE_MAX_REJECT_SHARE="0.5").wait_for('Started execution of step "raw')
    postmaster = StateFile(backfill.home).load()["postgres"]
    noticed = _kill_and_expect(backfill, postmaster.pid, "PostgreSQL stopped answering at SHOPEASE_POSTGRES_URL=")
    assert noticed < 30
    psutil.wait_procs([p for p in psutil.process_iter() if p.ppid() == postmaster.pid], timeout=20)

    code, out, err = backfill.start(SHOPEASE_MAX_REJECT_SHARE="0.5").finish()
    assert code == 0, out + err
    assert "marked 1 run(s) left STARTED by a killed command as failed" in out
    assert_recovered(backfill, rejected=BAD_ORDERS)


def test_backfill_killed_during_dbt_takes_its_dbt_child_along(backfill: Backfill) -> None:
    backfill.start(SHOPEASE_MAX_REJECT_SHARE="0.5").wait_for('Started execution of step "shopease_dbt_models"')
    assert backfill.process is not None
    parent = psutil.Process(backfill.process.pid)
    deadline = time.monotonic() + 60
    children: list[psutil.Process] = []
    while not children and time.monotonic() < deadline:
        children = [c for c in parent.children(recursive=True) if "build" in " ".join(c.cmdline())]
        time.sleep(0.2)
    assert children, "dbt build started"
    parent.kill()
    backfill.process.wait(30)
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == [], "dbt died with the backfill"

    code, out, err = backfill.start(SHOPEASE_MAX_REJECT_SHARE="0.5").finish()
    assert code == 0, out + err
    assert "marked 1 run(s) left STARTED by a killed command as failed" in out
    assert_recovered(backfill, rejected=BAD_ORDERS)
