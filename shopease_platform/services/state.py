"""The small JSON file that remembers which embedded servers `shopease services up` started.

`down` stops exactly the processes recorded here (checked against their command line, so a recycled pid
is never killed) and `up` reuses them while they still answer. A record outlives its process: after a crash
or `down`, `up` starts the server again on the recorded port, so URIs a shell exported stay valid.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psutil


class ServiceError(RuntimeError):
    """An embedded or external server could not be started, reached or stopped."""


@dataclass
class ServerRecord:
    """One embedded server: where it listens, its process and its data folder."""

    name: str
    pid: int
    port: int
    data_dir: str
    log_file: str

    def is_running(self) -> bool:
        """True when the recorded pid is alive and is still our server on our data folder."""
        try:
            process = psutil.Process(self.pid)
            if process.status() == psutil.STATUS_ZOMBIE:
                return False
            return any(self.data_dir in part for part in process.cmdline())
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return False

    def is_addressed_by(self, uri: str) -> bool:
        """True when `uri` names this server (loopback, its port), as `shopease services env` exports it."""
        try:
            parts = urlsplit(uri)
            return parts.hostname in LOOPBACK and parts.port == self.port
        except ValueError:  # several hosts (a replica set seed list) or a malformed port: not ours
            return False


LOOPBACK = ("127.0.0.1", "localhost")


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind: TIME_WAIT is no owner
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def free_port(host: str = "127.0.0.1", preferred: int | None = None) -> int:
    """`preferred` when nothing listens there, else a TCP port nothing listens on right now (the OS picks it)."""
    if preferred and port_is_free(preferred, host):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class StateFile:
    def __init__(self, home: Path) -> None:
        self.path = home / "services.json"

    def load(self) -> dict[str, ServerRecord]:
        if not self.path.exists():
            return {}
        raw = json.loads(self.path.read_text())
        return {name: ServerRecord(**record) for name, record in raw.items()}

    def save(self, records: dict[str, ServerRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({name: asdict(r) for name, r in records.items()}, indent=2))
        os.replace(tmp, self.path)
