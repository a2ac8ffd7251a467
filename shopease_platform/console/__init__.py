"""What `make demo` and `shopease backfill` show the user: a few lines per run, the full event log in a file.

`RunConsole` is the one entry point: it routes every log (Dagster's events, driver warnings, retries) to a
file, prints a line per stage, turns failed quality gates and lost servers into one clear line each, and
recovers what a killed run left behind before a new one starts.
"""

from shopease_platform.console.session import RunConsole, RunOutcome

__all__ = ["RunConsole", "RunOutcome"]
