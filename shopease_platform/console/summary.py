"""The end of a demo: a headline on the terminal, the full answers in a file beside the event log."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg

_HEADLINE = """
    select count(distinct order_id), count(*), coalesce(sum(line_revenue), 0)
    from raw.order_items where ordered_at >= %(first)s and ordered_at < %(end)s
"""
_TOP_PRODUCTS = """
    select product_name, sum(order_count) as orders from analytics.mart_product_sales_daily
    where order_date >= %(first)s and order_date < %(end)s group by product_id, product_name
    order by orders desc, product_id limit 3
"""
_TOP_CATEGORY = """
    select category, sum(line_revenue) from analytics.fct_order_items
    where ordered_at >= %(first)s and ordered_at < %(end)s group by 1 order by 2 desc, 1 limit 1
"""


@contextlib.contextmanager
def summary_file(home: Path) -> Iterator[Path]:
    """Everything printed inside goes to `home/logs/summary-<time>.txt` instead of the terminal."""
    path = home / "logs" / f"summary-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out, contextlib.redirect_stdout(out):
        yield path


def print_headline(postgres_url: str, first: datetime, end: datetime) -> None:
    """Three lines a person reads at a glance: volume, the most ordered products, the leading category."""
    window = {"first": first, "end": end}
    with psycopg.connect(postgres_url) as conn:
        orders, lines, revenue = conn.execute(_HEADLINE, window).fetchone()
        products = conn.execute(_TOP_PRODUCTS, window).fetchall()
        category = conn.execute(_TOP_CATEGORY, window).fetchone()
    print(f"{first:%Y-%m-%d} .. {end:%Y-%m-%d}: {orders:,} orders, {lines:,} lines, {float(revenue):,.2f} revenue")
    if products:
        print("most ordered: " + "; ".join(f"{name} ({int(n):,})" for name, n in products))
    if category:
        print(f"top category by sales: {category[0]} ({float(category[1]):,.2f})")
