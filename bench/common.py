"""Shared bench plumbing: servers for a benchmark run, and readable figure lines."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shopease_platform.services import Endpoints, ServiceManager
from shopease_platform.settings import Settings


@contextmanager
def bench_servers(home: Path | None = None) -> Iterator[Endpoints]:
    """External servers when SHOPEASE_MONGODB_URI / SHOPEASE_POSTGRES_URL are set, else embedded ones.

    The embedded servers keep their data in ``home`` when given (stopped at the end, started again with the same
    data by the next run), else in a temporary folder.
    """
    with tempfile.TemporaryDirectory(prefix="shopease-bench-") as scratch:
        env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
        env["SHOPEASE_HOME"] = str(home or Path(scratch))
        manager = ServiceManager(Settings.from_env(env))
        endpoints = manager.up()
        try:
            yield endpoints
        finally:
            manager.down()


def figure(label: str, value: float, unit: str) -> None:
    print(f"  {label:<44} {value:>14,.1f} {unit}", flush=True)


def ratio(label: str, numerator: float, denominator: float) -> None:
    print(f"  {label:<44} {numerator / denominator:>14,.2f} x", flush=True)
