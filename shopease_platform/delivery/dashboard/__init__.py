"""The self-contained HTML dashboard: data from the marts, rendered into one file that needs no network."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from shopease_platform.delivery.dashboard.data import (
    DASHBOARD_MARTS,
    DEFAULT_MAX_STATE_PRODUCTS,
    collect_dashboard_data,
)
from shopease_platform.delivery.dashboard.page import render_dashboard
from shopease_platform.delivery.files import write_text_atomic
from shopease_platform.delivery.marts import ANALYTICS_SCHEMA

DASHBOARD_FILE = "shopease_dashboard.html"


@dataclass(frozen=True)
class DashboardResult:
    path: Path
    size_bytes: int
    rows: dict[str, int]
    seconds: float
    payload: dict[str, Any]


def write_dashboard(
    conn: psycopg.Connection,
    output_dir: Path,
    schema: str = ANALYTICS_SCHEMA,
    max_state_products: int = DEFAULT_MAX_STATE_PRODUCTS,
    file_name: str = DASHBOARD_FILE,
) -> DashboardResult:
    """Read the marts and (atomically) write `<output_dir>/<file_name>`."""
    started = time.monotonic()
    payload = collect_dashboard_data(conn, schema, max_state_products)
    target = output_dir / file_name
    size = write_text_atomic(target, render_dashboard(payload))
    rows = {name: len(value["rows"]) for name, value in payload.items() if isinstance(value, dict) and "rows" in value}
    return DashboardResult(target, size, rows, time.monotonic() - started, payload)


__all__ = ["DASHBOARD_FILE", "DASHBOARD_MARTS", "DashboardResult", "collect_dashboard_data", "render_dashboard",
           "write_dashboard"]  # fmt: skip
