"""The terminal and the log file: every line goes to the file, a few of them to the terminal.

Python's logging (Dagster's storage retries, driver and dbt warnings) is routed to the same file for the
length of a command, so nothing but the lines meant for the user reaches the terminal.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sys
import threading
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s - %(message)s"


class Terminal:
    """Lines for the user (`say`), a live status line on a TTY (`status`), and the log file behind both."""

    def __init__(self, log_path: Path, stream: TextIO | None = None) -> None:
        self.log_path = log_path
        self.stream = stream or sys.stdout
        self.errors = sys.stderr
        self.live = self.stream.isatty()
        self._lock = threading.Lock()
        self._status_shown = False
        log_path.parent.mkdir(parents=True, exist_ok=True)
        # Our own stream: logging.config calls made by libraries (alembic's, when Dagster migrates its
        # storage) close the handlers they replace, and a closed FileHandler drops its stream.
        self.log = log_path.open("a", encoding="utf-8", buffering=1)
        self.log_handler = logging.StreamHandler(self.log)
        self.log_handler.setFormatter(logging.Formatter(_FORMAT))
        self._saved: tuple[list[logging.Handler], int] | None = None

    def __enter__(self) -> Terminal:
        root = logging.getLogger()
        self._saved = (list(root.handlers), root.level)
        self.route_logging()
        logging.captureWarnings(True)
        warnings.simplefilter("default")
        return self

    def route_logging(self) -> None:
        """Every Python log record to the file only (again after a library reconfigured logging)."""
        root = logging.getLogger()
        root.handlers = [self.log_handler]
        root.setLevel(logging.INFO)

    def __exit__(self, *exc: object) -> None:
        self._clear_status()
        root = logging.getLogger()
        if self._saved is not None:
            root.handlers, level = self._saved
            root.setLevel(level)
        logging.captureWarnings(False)
        self.log.close()

    def say(self, line: str, error: bool = False) -> None:
        """A permanent line on the terminal (stderr for errors), also written to the log."""
        with self._lock:
            self._clear_status()
            print(line, file=self.errors if error else self.stream, flush=True)
            self.write_log(line)

    def status(self, line: str) -> None:
        """A line that the next one overwrites; shown on a TTY only (logs and pipes get `say` lines alone)."""
        if not self.live:
            return
        width = shutil.get_terminal_size((100, 20)).columns - 1
        with self._lock:
            self.stream.write("\r\x1b[2K" + line[:width])
            self.stream.flush()
            self._status_shown = True

    @contextlib.contextmanager
    def capture_output(self) -> Iterator[None]:
        """Send what libraries print to stdout or stderr to the log file (the terminal keeps `say` lines)."""
        self.route_logging()
        with contextlib.redirect_stdout(self.log), contextlib.redirect_stderr(self.log):
            yield

    def write_log(self, line: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        self.log.write(f"{stamp} CONSOLE shopease - {line}\n")

    def _clear_status(self) -> None:
        if self._status_shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._status_shown = False


def log_path_for(home: Path, command: str) -> Path:
    return home / "logs" / f"{command}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}.log"
