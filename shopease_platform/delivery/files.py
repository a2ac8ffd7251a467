"""Atomic file output: readers (Tableau, a browser, a file share) never see a half-written deliverable."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a path (not yet existing) beside `target`; on success it replaces `target` in one `os.replace`.

    The path sits in a private temporary folder inside the target's folder, so the rename never crosses file
    systems (where it would stop being atomic) and writers that refuse an existing file (Hyper) are happy.
    On error the temporary folder is removed and `target` is left as it was.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    temporary = folder / target.name
    try:
        yield temporary
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_text_atomic(target: Path, text: str) -> int:
    """Write UTF-8 text atomically; returns the size in bytes."""
    data = text.encode("utf-8")
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)
    return len(data)


def human_size(size_bytes: int) -> str:
    size = float(size_bytes)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} GiB"
