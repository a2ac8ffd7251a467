"""`shopease-dbt`: dbt that dies with the process that started it.

dagster-dbt runs `dbt build` as a child process. When a backfill is killed (SIGKILL leaves no chance to clean
up), that child would go on writing to the warehouse with no parent, racing the re-run. This launcher asks
the kernel to kill it when its parent dies (PR_SET_PDEATHSIG, kept across exec), then becomes dbt.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Have the kernel send SIGKILL to this process when the thread that started it exits (Linux only)."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return  # not Linux: the child simply outlives a killed parent, as before
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def exec_dbt() -> None:
    die_with_parent()
    dbt = Path(sys.executable).with_name("dbt")
    program = str(dbt) if dbt.exists() else "dbt"
    os.execvp(program, [program, *sys.argv[1:]])
