"""Materialization metadata helpers shared by every stage: previews and throughput figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg


def preview(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], limit: int = 5) -> dg.MarkdownMetadataValue:
    """A small Markdown table of the first rows, as the Dagster UI shows it."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows[:limit]:
        lines.append("| " + " | ".join(_cell(row.get(column)) for column in columns) + " |")
    return dg.MetadataValue.md("\n".join(lines))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list):
        return f"{len(value)} items"
    return str(value).replace("|", "/")


def throughput(rows: int, seconds: float) -> dict[str, dg.MetadataValue]:
    return {
        "seconds": dg.MetadataValue.float(round(seconds, 3)),
        "rows_per_second": dg.MetadataValue.float(round(rows / seconds, 1) if seconds > 0 else 0.0),
    }


def time_window(window: dg.TimeWindow) -> dict[str, dg.MetadataValue]:
    return {
        "window_start": dg.MetadataValue.text(window.start.isoformat()),
        "window_end": dg.MetadataValue.text(window.end.isoformat()),
    }
