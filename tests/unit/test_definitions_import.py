"""Loading the definitions has no side effects: no process, no warnings filter, no setting read at import."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime

from shopease_platform.definitions import build_definitions
from shopease_platform.settings import Settings

IMPORT_QUIETLY = textwrap.dedent(
    """
    import subprocess, warnings
    import boto3, dagster, dagster_dbt, numpy, pyarrow  # their own import-time filters are theirs
    before = list(warnings.filters)

    def refuse(*args, **kwargs):
        raise AssertionError(f"a process was started at import: {args[:1]}")

    subprocess.Popen.__init__ = refuse
    import shopease_platform.definitions
    added = [f for f in warnings.filters if f not in before and f[2].__module__.startswith(("dagster", "shopease"))]
    assert not added, f"warnings filters installed at import: {added}"
    """
)


def test_importing_the_definitions_starts_no_process_and_installs_no_warnings_filter() -> None:
    result = subprocess.run([sys.executable, "-c", IMPORT_QUIETLY], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]


def test_definitions_with_different_start_dates_live_in_one_process() -> None:
    early, late = (
        build_definitions(Settings.from_env({"SHOPEASE_START_DATE": day})) for day in ("2024-06-01", "2026-02-01")
    )
    for defs, start in ((early, datetime(2024, 6, 1, tzinfo=UTC)), (late, datetime(2026, 2, 1, tzinfo=UTC))):
        graph = defs.resolve_asset_graph()
        starts = {
            graph.get(key).partitions_def.start for key in graph.get_all_asset_keys() if graph.get(key).partitions_def
        }
        assert starts == {start}
        job = defs.resolve_job_def("shopease_window_job")
        assert job.partitions_def is not None and job.partitions_def.start == start
