"""Dagster's events turned into one line per stage of a run, and the failed checks collected on the way.

The run's Dagster logger is replaced by `progress_logger`: every record still goes to the log file, and the
events say when a stage (MongoDB, PostgreSQL raw, dbt, delivery) has finished its steps, how many rows it
wrote, and which checks failed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from shopease_platform.console.terminal import Terminal

# Step keys start with the asset key's first part (`mongo__orders`, `raw__customers`) or name the op.
STAGES = (
    ("mongo", "MongoDB"),
    ("raw", "PostgreSQL raw"),
    ("shopease_dbt", "dbt build"),
    ("delivery", "delivery"),
)
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


def stage_of(step_key: str) -> str:
    for prefix, label in STAGES:
        if step_key.startswith(prefix):
            return label
    return step_key


ROW_KEYS = ("dagster/row_count", "documents_written", "orders_inserted")


def rows_written(metadata: dict[str, Any]) -> int:
    """The rows an asset reports (the first of ROW_KEYS it carries)."""
    for key in ROW_KEYS:
        if key in metadata:
            return int(getattr(metadata[key], "value", metadata[key]) or 0)
    return 0


@dataclass
class FailedCheck:
    check: str
    asset: str
    severity: str
    metadata: dict[str, Any]
    first_window: str | None
    last_window: str | None


@dataclass
class StageTally:
    """One stage's steps. Its time is the sum of its own steps' times: stages interleave in a run (the raw
    tables of stores and customers load before MongoDB's orders are written), so the span from its first step
    to its last would count other stages' work and understate its rate."""

    steps: int
    done: int = 0
    seconds: float = 0.0
    running: dict[str, float] = field(default_factory=dict)
    rows: int = 0
    assets: int = 0
    checks: int = 0
    checks_failed: int = 0
    retries: int = 0
    failed_step: str | None = None
    seen: set[dg.AssetKey] = field(default_factory=set)

    def step_started(self, step_key: str, at: float) -> None:
        self.running[step_key] = at

    def step_stopped(self, step_key: str, at: float) -> None:
        """A step finished, failed or stopped for a retry: its time so far counts for the stage."""
        self.seconds += at - self.running.pop(step_key, at)


@dataclass
class RunProgress:
    """The stages of one run, filled from its events, printing a line when each one is complete."""

    terminal: Terminal
    windows: int
    stages: dict[str, StageTally]
    failed_checks: list[FailedCheck] = field(default_factory=list)
    step_errors: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def for_steps(cls, terminal: Terminal, step_keys: Iterable[str], windows: int) -> RunProgress:
        stages: dict[str, StageTally] = {}
        for key in step_keys:
            stages.setdefault(stage_of(key), StageTally(0)).steps += 1
        order = [label for _, label in STAGES]
        ordered = dict(sorted(stages.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))
        return cls(terminal, windows, ordered)

    def on_record(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step_key = meta.get("step_key") or (event.step_key if event is not None else None)
        if event is None:
            if step_key and record.levelno >= logging.INFO:
                self.terminal.status(f"  {stage_of(step_key)}: {record.getMessage().rsplit(' - ', 1)[-1]}")
            return
        kind = event.event_type_value
        tally = self.stages.get(stage_of(step_key)) if step_key else None
        if kind in ("STEP_START", "STEP_RESTARTED") and tally is not None:
            tally.step_started(step_key, time.monotonic())
            self.terminal.status(f"  {stage_of(step_key)}: {step_key} ...")
        elif kind == "ASSET_MATERIALIZATION" and tally is not None:
            materialization = event.event_specific_data.materialization
            if materialization.asset_key in tally.seen:  # a range run reports one event per partition
                return
            tally.seen.add(materialization.asset_key)
            tally.assets += 1
            tally.rows += rows_written(materialization.metadata)
        elif kind == "ASSET_CHECK_EVALUATION":
            self._on_check(event.event_specific_data, meta.get("job_tags") or {}, tally)
        elif kind == "STEP_UP_FOR_RETRY" and tally is not None:
            tally.retries += 1
            tally.step_stopped(step_key, time.monotonic())
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED") and tally is not None:
            tally.step_stopped(step_key, time.monotonic())
            if kind == "STEP_FAILURE":
                error = getattr(event.event_specific_data, "error", None)
                message = (error.message if error is not None else event.message or "").strip().splitlines()
                self.step_errors.append((step_key, message[0] if message else "failed"))
                tally.failed_step = step_key
            tally.done += 1
            if tally.done == tally.steps:
                self.terminal.say(self._stage_line(stage_of(step_key), tally))

    def _on_check(self, evaluation: Any, tags: dict[str, str], tally: StageTally | None) -> None:
        if tally is not None:
            tally.checks += 1
        if evaluation.passed:
            return
        if tally is not None:
            tally.checks_failed += 1
        metadata = {key: getattr(value, "value", value) for key, value in evaluation.metadata.items()}
        first, last = (tags.get(tag) or tags.get("dagster/partition") for tag in RANGE_TAGS)
        severity = evaluation.severity.value if evaluation.severity else "ERROR"
        self.failed_checks.append(
            FailedCheck(evaluation.check_name, evaluation.asset_key.to_user_string(), severity, metadata, first, last)
        )

    def _stage_line(self, label: str, tally: StageTally) -> str:
        elapsed = tally.seconds
        parts = [f"  {label:<15} {self.windows} windows"]
        if label == "dbt build":
            parts.append(f"{tally.assets} models, {tally.checks} tests")
        elif label == "delivery":
            parts.append(f"{tally.assets} outputs")
        else:
            parts.append(f"{tally.rows:,} rows, {tally.rows / max(elapsed, 1e-9):,.0f} rows/s")
        if tally.checks_failed:
            parts.append(f"{tally.checks_failed} check(s) failed")
        if tally.retries:
            parts.append(f"{tally.retries} retried step(s)")
        if tally.failed_step:
            parts.append(f"FAILED at {tally.failed_step}")
        parts.append(f"{elapsed:.1f}s")
        return parts[0] + ": " + ", ".join(parts[1:])

    @property
    def blocking_failures(self) -> list[FailedCheck]:
        """Checks that fail the run for the user: ERROR severity (WARN is shown in the UI only)."""
        return [check for check in self.failed_checks if check.severity == "ERROR"]


class _ProgressHandler(logging.Handler):
    def __init__(self, terminal: Terminal) -> None:
        super().__init__(logging.DEBUG)
        self.terminal = terminal
        self.progress: RunProgress | None = None
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s dagster - %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.terminal.log.write(self.format(record) + "\n")
            if self.progress is not None:
                self.progress.on_record(record)
        except Exception:  # a display problem must never fail the run
            self.handleError(record)


def progress_logger(handler: _ProgressHandler) -> dg.LoggerDefinition:
    """A Dagster logger that writes the full event log to the file and feeds `handler.progress`."""

    @dg.logger(description="The run's events: all to the log file, one line per stage to the terminal.")
    def shopease_progress(init_context: dg.InitLoggerContext) -> logging.Logger:
        logger = logging.Logger("shopease_progress", level=logging.DEBUG)
        logger.addHandler(handler)
        return logger

    return shopease_progress
