"""Run every benchmark in this folder (`make bench`); each prints its figures and ratios against a baseline.

Pass names to run a subset: `python bench/run.py simulation`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(selected: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if selected:
        scripts = [s for s in scripts if any(name in s.stem for name in selected)]
    if not scripts:
        print("no benchmarks matched")
        return 1
    failures = 0
    for script in scripts:
        print(f"=== {script.stem} ===", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", f"bench.{script.stem}"], cwd=HERE.parent, check=False)
        print(f"--- {script.stem}: exit {result.returncode}, {time.monotonic() - started:.1f}s\n", flush=True)
        failures += result.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
