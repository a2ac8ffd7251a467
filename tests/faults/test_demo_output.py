"""`make demo` is quiet: a line per stage and run, a short summary, and the full event log in a file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shopease_platform.services import ServiceManager, postgres
from shopease_platform.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_demo_prints_under_60_lines_and_logs_everything_to_a_file(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPEASE_") and k != "DAGSTER_HOME"}
    env.update(
        SHOPEASE_HOME=str(tmp_path / "home"), SHOPEASE_START_DATE="2026-01-01", SHOPEASE_DEMO_DAYS="1",
        SHOPEASE_PRODUCTS="300", SHOPEASE_ORDERS_PER_WINDOW="40", SHOPEASE_NEW_CUSTOMERS_PER_WINDOW="10",
    )  # fmt: skip
    try:
        result = subprocess.run(
            [sys.executable, "-m", "shopease_platform.cli", "demo"],
            env=env, capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
    finally:
        ServiceManager(Settings.from_env(env)).down()
        postgres.forget(tmp_path / "home")
    terminal = (result.stdout + result.stderr).splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(terminal) < 60, "\n".join(terminal)
    for stage in ("MongoDB", "PostgreSQL raw", "dbt build", "delivery"):
        assert any(line.strip().startswith(stage) and "windows:" in line for line in terminal), stage
    log = Path(re.search(r"event log: (\S+)", result.stdout).group(1))  # type: ignore[union-attr]
    assert "STEP_SUCCESS" in log.read_text()
    assert "DEBUG" not in result.stdout + result.stderr
    summary = Path(re.search(r"full summary .*: (\S+)", result.stdout).group(1))  # type: ignore[union-attr]
    assert "Top 10 products" in summary.read_text()
    assert any("orders," in line and "revenue" in line for line in terminal)
