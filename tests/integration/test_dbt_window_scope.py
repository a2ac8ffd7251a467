"""dbt data tests of windowed models are scoped to the run's window; other models' tests stay whole-table."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from shopease_platform.resources.dbt_project import DBT_PROJECT_DIR, dbt_executable
from shopease_platform.settings import dbt_profile_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SCOPED = "accepted_range_fct_orders_line_count__1"
WHOLE = "accepted_range_dim_products_current_price__False__0"
WINDOW = {
    "SHOPEASE_DBT_WINDOW_START": "2026-05-01T09:00:00+00:00",
    "SHOPEASE_DBT_WINDOW_END": "2026-05-01T12:00:00+00:00",
}


def _compiled(isolated_stores: tuple[str, str], target: Path, window: dict[str, str]) -> dict[str, str]:
    """The SQL dbt compiles for the two tests, with the window (or none) in the environment."""
    env = {**os.environ, **dbt_profile_env(isolated_stores[1]), **window}
    subprocess.run(
        [dbt_executable(), "compile", "--quiet", "--target-path", str(target), "--select", SCOPED, WHOLE],
        cwd=DBT_PROJECT_DIR, env=env, check=True,
    )  # fmt: skip
    return {name: next(target.rglob(f"{name}.sql")).read_text() for name in (SCOPED, WHOLE)}


def test_a_window_run_tests_only_the_windows_rows(isolated_stores: tuple[str, str], tmp_path: Path) -> None:
    windowed = _compiled(isolated_stores, tmp_path, WINDOW)
    assert "ordered_at >= timestamptz '2026-05-01T09:00:00+00:00'" in windowed[SCOPED]
    assert "ordered_at < timestamptz '2026-05-01T12:00:00+00:00'" in windowed[SCOPED]
    assert "timestamptz" not in windowed[WHOLE]

    whole = _compiled(isolated_stores, tmp_path, {})
    assert "timestamptz" not in whole[SCOPED]
