"""The dbt project and how dbt is invoked: where it is, which dbt runs it, and its manifest.

The manifest is prepared explicitly, never as a side effect of importing the definitions: `make install` and the
test session run `prepare_manifest()` (`python -m shopease_platform.resources.dbt_project`), the `shopease` command
runs it before it loads the definitions, and `dagster dev` re-parses on every load through dagster-dbt's own
`prepare_if_dev`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from dagster_dbt import DbtProject

from shopease_platform.resources.postgres import PostgresResource
from shopease_platform.settings import dbt_profile_env
from shopease_platform.window import dbt_env

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt"
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
_PROJECT_FILES = ("dbt_project.yml", "models", "macros", "seeds", "snapshots", "tests")


def dbt_executable() -> str:
    """dbt from the same environment as Dagster (a virtualenv's `bin/` need not be on PATH).

    Through `shopease-dbt` when installed: the same dbt, killed by the kernel if the run's process dies.
    """
    for name in ("shopease-dbt", "dbt"):
        beside_python = Path(sys.executable).with_name(name)
        if beside_python.exists():
            return str(beside_python)
    return "dbt"


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a dbt invocation (dbt's process inherits them)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def warehouse_profile(postgres: PostgresResource) -> AbstractContextManager[None]:
    """Point dbt's profile (SHOPEASE_PG_* variables) at the resource's database for the invocation."""
    return environment(dbt_profile_env(postgres.url))


def manifest_is_stale(project: DbtProject = dbt_project) -> bool:
    """No manifest yet (a fresh clone), or a project file changed after it was written."""
    manifest = Path(project.manifest_path)
    if not manifest.exists():
        return True
    written = manifest.stat().st_mtime
    root = Path(project.project_dir)
    files = (f for name in _PROJECT_FILES for f in (root / name, *(root / name).rglob("*")))
    return any(f.is_file() and f.stat().st_mtime > written for f in files)


def _preparing() -> AbstractContextManager[None]:
    """dagster-dbt's preparer runs the `dbt` on PATH: put this environment's first, and the window length in."""
    path = f"{Path(dbt_executable()).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return environment({"PATH": path, **dbt_env()})


def prepare_manifest(project: DbtProject = dbt_project) -> None:
    """`dbt parse` (no database needed, a few seconds) when the manifest is missing or older than the project."""
    if manifest_is_stale(project):
        with _preparing():
            project.preparer.prepare(project)


def prepare_if_dev(project: DbtProject = dbt_project) -> None:
    """Under `dagster dev`, re-parse on every load so edits to the dbt project show at once (dagster-dbt's way)."""
    with _preparing():
        project.prepare_if_dev()


if __name__ == "__main__":
    prepare_manifest()
