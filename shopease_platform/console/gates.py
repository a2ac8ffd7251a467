"""Failed quality gates said plainly: which check, for which windows, and where the quarantined rows are."""

from __future__ import annotations

import psycopg

from shopease_platform.console.progress import FailedCheck
from shopease_platform.settings import redact
from shopease_platform.window import WINDOW, partition_key, window_of_key

REJECTS_CHECK = "rejected_documents"


def describe(check: FailedCheck) -> str:
    first, last = check.first_window, check.last_window
    windows = first if first == last else f"{first}..{last}"
    what = f"quality check `{check.check}` on {check.asset} failed for windows {windows}"
    meta = check.metadata
    if check.check == REJECTS_CHECK and {"rejected", "documents", "share", "max_share"} <= meta.keys():
        return (
            f"{what}: {meta['rejected']:,} of {meta['documents']:,} orders quarantined "
            f"({meta['share']:.1%}, above SHOPEASE_MAX_REJECT_SHARE={meta['max_share']:g})"
        )
    shown = ", ".join(f"{key}={value}" for key, value in list(meta.items())[:8])
    return f"{what}: {shown}" if shown else what


def quarantine_lines(postgres_url: str, first: str | None, last: str | None, limit: int = 5) -> list[str]:
    """Where the quarantined orders of first..last are, by window, with the reasons (nothing if unreachable)."""
    if not first or not last:
        return []
    start, end = window_of_key(first), window_of_key(last) + WINDOW
    try:
        with psycopg.connect(postgres_url, connect_timeout=3) as conn:
            rows = conn.execute(
                """select window_start, count(*), min(reason) from raw.rejected_documents
                   where collection = 'orders' and window_start >= %s and window_start < %s
                   group by 1 order by 1 limit %s""",
                (start, end, limit),
            ).fetchall()
    except psycopg.Error:
        return []
    if not rows:
        return []
    lines = [f"  quarantined rows: table raw.rejected_documents at SHOPEASE_POSTGRES_URL={redact(postgres_url)}"]
    for window_start, count, reason in rows:
        lines.append(f"    window {partition_key(window_start)}: {count} order(s), e.g. {reason}")
    query = (
        "select source_id, reason from raw.rejected_documents where collection = 'orders' "
        f"and window_start >= '{start.isoformat()}' and window_start < '{end.isoformat()}'"
    )
    lines.append(f'    see them: psql "$SHOPEASE_POSTGRES_URL" -c "{query}"')
    return lines
