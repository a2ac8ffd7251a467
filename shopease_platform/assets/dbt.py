"""Every dbt seed, snapshot and model as a Dagster asset, in the same graph as the MongoDB and raw assets.

dbt sources carry `meta.dagster.asset_key` = `["raw", <table>]`, so they resolve to the ETL's raw assets and
lineage runs unbroken from `product_catalog` to every mart. Models are keyed `[schema, name]`
(`["analytics", "fct_order_items"]`), grouped by layer, and dbt tests appear as asset checks.

The dbt assets are deliberately unpartitioned: a run of the window job (one window, or a range as one run)
hands its windows to dbt in SHOPEASE_DBT_WINDOW_START / _END (what the `load_window` macro reads), taken from
the run's partition tags, and the incremental models rebuild exactly those rows. Partitioning them too would
make Dagster plan one check execution per dbt test per window (270 tests x 240 windows for a 30-day demo)
before a range run even starts, and their freshness is about "was it rebuilt recently", which an
unpartitioned asset expresses directly.
"""

import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from packaging import version
from psycopg import sql

from shopease_platform.resources import PostgresResource
from shopease_platform.resources.dbt_project import (
    dbt_executable,
    dbt_project,
    environment,
    prepare_if_dev,
    warehouse_profile,
)
from shopease_platform.window import DBT_WINDOW_END, DBT_WINDOW_START, dbt_window_env

prepare_if_dev()

PARTIAL_PARSE = "partial_parse.msgpack"
NO_WINDOW = {DBT_WINDOW_START: "", DBT_WINDOW_END: ""}
_GROUPS = {"seed": "dbt_seeds", "snapshot": "dbt_snapshots"}


class ShopEaseDbtTranslator(DagsterDbtTranslator):
    """Asset keys `[schema, name]`, groups by layer (`dbt_staging`, `dbt_intermediate`, `dbt_marts`, ...)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type in _GROUPS:
            return _GROUPS[resource_type]
        fqn = dbt_resource_props.get("fqn", [])
        return f"dbt_{fqn[1]}" if len(fqn) > 2 else "dbt_models"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:analytics-engineering"]


translator = ShopEaseDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def keep_partial_parse(target_path: Path, project: DbtProject = dbt_project) -> None:
    """Save an invocation's parse as the project's, so the next invocation with the same profile re-uses it.

    dagster-dbt gives every invocation its own target folder, seeded with the project's `partial_parse.msgpack`;
    without writing it back, every run after a profile change (another server, another port) parses the whole
    project again, 30 s on 2 cores. Replaced atomically, so a concurrent invocation reads an old or a new file.
    """
    parsed = target_path / PARTIAL_PARSE
    if not parsed.exists():
        return
    kept = Path(project.project_dir) / "target" / PARTIAL_PARSE
    kept.parent.mkdir(parents=True, exist_ok=True)
    staged = kept.with_name(f".{PARTIAL_PARSE}.{os.getpid()}")
    shutil.copyfile(parsed, staged)
    os.replace(staged, kept)


def window_env(tags: Mapping[str, str]) -> dict[str, str]:
    """The windows of the run (its partition, or its partition range) as the variables dbt's `load_window` reads.

    Environment variables, not `--vars`: dbt re-parses the whole project whenever its vars change, which every
    window run would do; see macros/incremental_window.sql. Empty outside a window run.
    """
    first = tags.get("dagster/asset_partition_range_start") or tags.get("dagster/partition")
    last = tags.get("dagster/asset_partition_range_end") or tags.get("dagster/partition")
    if not first or not last:
        return {}
    return dbt_window_env(first, last)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    retry_policy=dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL),
)
def shopease_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, postgres: PostgresResource
) -> Iterator[Any]:
    """`dbt build` (seeds, snapshots, models and their tests) for the run's windows."""
    window = window_env(context.run.tags)
    context.log.info(f"dbt build for {window or 'the latest loads (no window in this run)'}")
    with warehouse_profile(postgres), environment(window or NO_WINDOW):
        invocation = dbt.cli(build_args(window), context=context, raise_on_error=False)
        yield from with_row_counts(invocation.stream(), counted_tables(invocation.manifest), context, postgres)
    keep_partial_parse(invocation.target_path)
    if not invocation.is_successful():
        raise_build_failure(invocation)


def counted_tables(manifest: Mapping[str, Any]) -> dict[dg.AssetKey, tuple[str, str]]:
    """(schema, table) of every dbt seed, snapshot and model stored as a table, by asset key; views are not
    counted (counting one runs its query)."""
    nodes = manifest.get("nodes", {}).values()
    return {
        translator.get_asset_key(node): (node["schema"], node["alias"])
        for node in nodes
        if node["resource_type"] in ("model", "snapshot", "seed") and node["config"]["materialized"] != "view"
    }


def with_row_counts(
    events: Iterator[Any],
    tables: Mapping[dg.AssetKey, tuple[str, str]],
    context: dg.AssetExecutionContext,
    postgres: PostgresResource,
) -> Iterator[Any]:
    """Each built table's materialization with its row count (`dagster/row_count`), counted as it is reported.

    Instead of dagster-dbt's `fetch_row_counts`, which names each table by the manifest's `relation_name`: that
    carries the database the manifest was parsed against, so in any other database (SHOPEASE_POSTGRES_URL's
    path) every count failed with a cross-database reference error and a logged traceback, 4 s of a tick.
    Here the table is `schema.table` on the run's own connection, one `count(*)` per table as dbt reports it.
    """
    with postgres.connect(autocommit=True) as conn:
        for event in events:
            key = _materialized_key(event, context)
            if key in tables:
                schema, table = tables[key]
                count = conn.execute(
                    sql.SQL("select count(*) from {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
                ).fetchone()[0]
                event = event.with_metadata({**event.metadata, "dagster/row_count": count})
            yield event


def _materialized_key(event: Any, context: dg.AssetExecutionContext) -> dg.AssetKey | None:
    if isinstance(event, dg.Output):
        return context.asset_key_for_output(event.output_name)
    if isinstance(event, dg.AssetMaterialization):
        return event.asset_key
    return None


def build_args(window: Mapping[str, str]) -> list[str]:
    """`dbt build`, without the unit tests in a window run.

    Unit tests check SQL logic on fixed inputs, not the window's data: the same code passes or fails the same
    way on every tick, so they run in the daily build and in CI (runs without a window), not 8 times a day.
    """
    return ["build", "--exclude-resource-type", "unit_test"] if window else ["build"]


def raise_build_failure(invocation: DbtCliInvocation) -> None:
    """Fail the step; without retries when only data tests failed, since the same data fails the same way.

    The retry policy is for a server that went away mid-build (a node in `error`); a test that found bad rows
    (`fail`) would fail again on every retry, tripling the time to the alert.
    """
    written = (invocation.target_path / "run_results.json").exists()  # not when dbt stopped before any node
    results = invocation.get_artifact("run_results.json").get("results", []) if written else []
    failed = sorted(r["unique_id"] for r in results if r.get("status") == "fail")
    if failed and not any(r.get("status") == "error" for r in results):
        raise dg.Failure(description=f"dbt data tests failed: {', '.join(failed)}", allow_retries=False)
    raise invocation.get_error() or dg.Failure(description="dbt build failed")


class ShopEaseDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, told the dbt version instead of asking `dbt --version` on every run.

    dagster-dbt starts `dbt --version` once per resource instance, which is once per run: 4 s of a tick on
    2 cores, measured. The platform runs dbt from its own environment (see `dbt_executable`), so the installed
    dbt-core package is the version that runs; any other executable is still asked.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return version.parse(metadata.version("dbt-core"))
        return super()._cli_version


def dbt_resource() -> DbtCliResource:
    return ShopEaseDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())
