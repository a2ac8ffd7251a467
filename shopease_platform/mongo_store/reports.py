"""The MongoDB brief's analyses as terminal tables (`shopease mongo-report`); the answers come from `analyses`.

They read the raw store directly, so they double as an independent check of the SQL marts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pymongo.database import Database

from shopease_platform.mongo_store import analyses

SAMPLE = 10


@dataclass(frozen=True)
class Report:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def all_reports(db: Database) -> list[Report]:
    """The brief's five analyses, then total revenue and the top 5% customers' share of it."""
    categories = analyses.revenue_by_category(db)
    customer = analyses.top_customer(db)
    inactive = analyses.inactive_customers(db)
    product = analyses.top_selling_product(db)
    out_of_stock = analyses.out_of_stock_products(db)
    concentration = analyses.customer_concentration(db)
    top = next(iter(categories), None)
    return [
        Report(
            f"Revenue by category (highest: {top or 'none'})",
            ("category", "revenue"),
            list(categories.items()),
        ),
        Report(
            "Top customer by spending",
            ("customer_id", "name", "orders", "spent"),
            [(customer.customer_id, customer.name, customer.orders, customer.spent)] if customer else [],
        ),
        Report(
            f"Inactive customers (no orders): {len(inactive)}",
            ("customer_id",),
            [(customer_id,) for customer_id in inactive[:SAMPLE]],
        ),
        Report(
            "Top-selling product",
            ("product_id", "name", "category", "units", "order_lines"),
            [(product.product_id, product.name, product.category, product.units, product.order_lines)]
            if product
            else [],
        ),
        Report(
            f"Out-of-stock products: {len(out_of_stock)}",
            ("product_id", "name", "category", "stock"),
            [(p.product_id, p.name, p.category, p.stock) for p in out_of_stock[:SAMPLE]],
        ),
        Report(
            f"Total revenue: {analyses.total_revenue(db):,.2f}; the top 5% of customers account for "
            f"{concentration.share * 100:.2f}% of sales",
            ("customers_with_orders", "top_5_percent", "top_sales", "total_sales"),
            [
                (
                    concentration.customers,
                    concentration.top_customers,
                    concentration.top_sales,
                    concentration.total_sales,
                )
            ],
        ),
    ]


def render(report: Report) -> str:
    """A plain-text table a person can read in a terminal."""
    cells = [tuple(str(c) for c in report.columns)] + [tuple(_fmt(v) for v in row) for row in report.rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(report.columns))]
    lines = [report.title, "-" * len(report.title)]
    for n, row in enumerate(cells):
        lines.append("  ".join(v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(row, widths, strict=True)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    if not report.rows:
        lines.append("(none)")
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    return f"{value:,.2f}" if isinstance(value, float | Decimal) else str(value)


def _numeric(text: str) -> bool:
    return text.replace(",", "").replace(".", "", 1).lstrip("-").isdigit()
