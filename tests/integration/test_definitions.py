"""The Dagster definitions load cleanly, without any server, as `dagster definitions validate` checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_dagster_definitions_validate(tmp_path: Path) -> None:
    """Validation needs no server: an empty DAGSTER_HOME gives it an in-memory instance."""
    dagster = Path(sys.executable).parent / "dagster"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPEASE_")}
    env["DAGSTER_HOME"] = str(tmp_path)
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "shopease_platform.definitions"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation successful" in result.stdout + result.stderr
