"""One demo or backfill command as the user sees it: `RunConsole` wraps the runs of a range.

    with RunConsole(settings, "backfill") as console:
        endpoints = ServiceManager(settings).up()
        console.recover(endpoints, instance)       # dead runs failed, orphaned transactions aborted
        run_range(lambda chunk: console.execute(job, chunk, instance), ..., report=console.say)

Exit codes the CLI derives from it: 0 every run passed its gates; 1 a run or a blocking quality check failed;
2 a server was lost mid-run (or could not be reached, or another command holds the state folder).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import dagster as dg

from shopease_platform.console.gates import REJECTS_CHECK, describe, quarantine_lines
from shopease_platform.console.progress import FailedCheck, RunProgress, _ProgressHandler, progress_logger
from shopease_platform.console.recovery import (
    PID_TAG,
    CommandLock,
    abort_orphaned_transactions,
    fail_dead_runs,
    live_runs,
    process_tags,
)
from shopease_platform.console.terminal import Terminal, log_path_for
from shopease_platform.console.watchdog import Server, Watchdog, exit_now, first_lost, servers
from shopease_platform.services import Endpoints
from shopease_platform.settings import Settings

RESUME = "run failed, re-run the same command to resume"
LOGGER = "shopease_progress"


@dataclass
class RunOutcome:
    """A run's result with its quality gates: a run whose blocking check failed is not a success."""

    result: dg.ExecuteInProcessResult | None
    failed_checks: list[FailedCheck]

    @property
    def success(self) -> bool:
        return self.result is not None and self.result.success and not self.failed_checks

    @property
    def run_id(self) -> str:
        return self.result.run_id if self.result is not None else "(not recorded)"


class RunConsole:
    def __init__(self, settings: Settings, command: str) -> None:
        self.settings = settings
        self.command = command
        self.terminal = Terminal(log_path_for(settings.home, command))
        self.handler = _ProgressHandler(self.terminal)
        self.lock = CommandLock(settings.home)
        self.endpoints: Endpoints | None = None
        self.instance: dg.DagsterInstance | None = None
        self.failed: str | None = None

    def __enter__(self) -> RunConsole:
        self.lock.acquire(self.command)
        self.terminal.__enter__()
        self.say(f"event log: {self.terminal.log_path}")
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self.failed:
            self.say(self.failed, error=True)
        self.terminal.__exit__(exc_type, exc, tb)
        self.lock.release()

    def say(self, line: str, error: bool = False) -> None:
        self.terminal.say(line, error=error)

    # --- before the first run ------------------------------------------------------------------------------

    def recover(self, endpoints: Endpoints, instance: dg.DagsterInstance) -> None:
        """Fail the runs a killed command left STARTED, then abort the transactions it left open."""
        self.endpoints, self.instance = endpoints, instance
        dead = fail_dead_runs(instance)
        if dead:
            self.say(f"marked {len(dead)} run(s) left STARTED by a killed command as failed: {', '.join(dead)}")
        if live_runs(instance):
            return  # another run is in progress: its open transactions are its own
        aborted = abort_orphaned_transactions(endpoints.mongodb_uri, self.settings.connect_timeout_s)
        if aborted:
            self.say(
                f"MongoDB: aborted {aborted} transaction(s) left open by a killed run "
                "(they held locks this run's writes need)"
            )

    # --- one run ------------------------------------------------------------------------------------------

    def execute(self, job: dg.JobDefinition, chunk: Any, instance: dg.DagsterInstance) -> RunOutcome:
        """Run `job` over the chunk's windows: progress per stage, gates checked, a lost server said at once."""
        progress = RunProgress.for_steps(self.terminal, [node.name for node in job.graph.nodes], chunk.windows)
        self.handler.progress = progress
        watchdog = Watchdog(servers(self._endpoints()), self._server_lost)
        watchdog.start()
        logged = job.with_logger_defs({LOGGER: progress_logger(self.handler)})
        try:
            # dagster-dbt echoes dbt's output to stdout: into the log file with everything else
            with self.terminal.capture_output():
                result = logged.execute_in_process(
                    run_config={"loggers": {LOGGER: {}}},  # without it Dagster adds its console logger
                    instance=instance,
                    tags={**chunk.tags, **process_tags()},
                    raise_on_error=False,
                )
        except Exception as error:  # Dagster's own storage failing: say which server, if one is gone
            self._explain_failure(progress, str(error).splitlines()[0] if str(error) else type(error).__name__)
            return RunOutcome(None, progress.blocking_failures)
        finally:
            watchdog.stop()
            self.handler.progress = None
        outcome = RunOutcome(result, progress.blocking_failures)
        for check in outcome.failed_checks:
            self.say(describe(check), error=True)
            if check.check == REJECTS_CHECK:
                for line in quarantine_lines(self._endpoints().postgres_url, check.first_window, check.last_window):
                    self.say(line, error=True)
        if not result.success:
            self._explain_failure(progress, None)
        elif outcome.failed_checks:
            self.failed = "run stopped by a failed quality check: fix the data above, then re-run the same command"
        return outcome

    def _explain_failure(self, progress: RunProgress, error: str | None) -> None:
        lost = first_lost(servers(self._endpoints()))
        if lost is not None:
            self._server_lost(*lost)
        for step, message in progress.step_errors[:3]:
            self.say(f"step {step} failed: {message}", error=True)
        if error and not progress.step_errors:
            self.say(f"the run could not continue: {error}", error=True)
        self.failed = RESUME

    def _server_lost(self, server: Server, error: str) -> None:
        """One line naming the server and its variable, the resume line, and (from the watchdog) the exit."""
        self.say(server.lost_line(error), error=True)
        self.say(RESUME, error=True)
        if server.label != "PostgreSQL":  # Dagster's storage is still up: record the run as failed now
            marker = threading.Thread(target=self._fail_own_runs, daemon=True)
            marker.start()
            marker.join(5)
        self.terminal.log.flush()
        exit_now()

    def _fail_own_runs(self) -> None:
        if self.instance is None:
            return
        mine = process_tags()[PID_TAG]
        for run in self.instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
            if run.tags.get(PID_TAG) == mine:
                self.instance.report_run_failed(run, message="a server was lost mid-run")

    def _endpoints(self) -> Endpoints:
        if self.endpoints is None:
            raise RuntimeError("RunConsole.recover(endpoints, instance) must come before execute()")
        return self.endpoints
