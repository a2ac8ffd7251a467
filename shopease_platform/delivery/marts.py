"""The mart contract the delivery layer reads, and a look at what the warehouse actually holds.

The dbt marts may carry more columns than listed here (extracts copy them all); a missing table or column
fails before any file is touched, with a message naming it, instead of a half-built deliverable.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg.pq import TransactionStatus

ANALYTICS_SCHEMA = "analytics"

MART_COLUMNS: dict[str, tuple[str, ...]] = {
    "dim_products": ("product_id", "sku", "product_name", "category", "subcategory", "brand", "base_price",
                     "current_price", "launched_at"),
    "dim_stores": ("store_id", "store_name", "store_kind", "state_code", "city"),
    "dim_states": ("state_code", "state_name", "fips_code", "region", "latitude", "longitude"),
    "mart_product_sales_daily": ("order_date", "year", "month", "product_id", "product_name", "category", "store_id",
                                 "store_name", "store_kind", "order_count", "total_quantity", "total_sales"),
    "mart_product_popularity": ("period_grain", "period_start", "product_id", "product_name", "category",
                                "order_count", "total_quantity", "total_sales", "rank_by_orders", "rank_by_sales",
                                "category_rank_by_orders", "category_rank_by_sales"),
    "mart_revenue_leaders": ("period_grain", "period_start", "leader_rank", "product_id", "product_name", "category",
                             "total_sales", "order_count", "total_quantity"),
    "mart_category_performance": ("month_start", "category", "order_count", "total_quantity", "total_sales",
                                  "sales_share", "sales_change_vs_prior_month"),
    "mart_order_trend": ("order_date", "store_id", "order_count", "total_quantity", "total_sales",
                         "new_customer_orders", "returning_customer_orders"),
    "fct_orders": ("order_id", "store_id", "state_code", "ordered_at", "order_date"),
    "mart_sales_rollup_monthly": ("rollup_grain", "month_start", "store_id", "state_code", "category",
                                  "order_count", "customer_count", "total_quantity", "total_sales"),
    "mart_customer_concentration": ("period_grain", "period_start", "customers", "top_customers", "total_sales",
                                    "top_customer_sales", "top_customer_share"),
    "mart_order_lines": ("order_id", "line_number", "order_date", "month_start", "product_id", "product_name",
                         "category", "store_id", "store_name", "store_kind", "state_code", "state_name",
                         "customer_id", "is_returning_customer", "quantity", "unit_price", "line_revenue"),
    "mart_state_product_monthly": ("month_start", "state_code", "state_name", "product_id", "product_name",
                                   "category", "order_count", "total_quantity", "total_sales"),
    "mart_state_sales_monthly": ("month_start", "state_code", "state_name", "category", "order_count",
                                 "total_quantity", "total_sales"),
    "mart_state_top_products": ("period_grain", "period_start", "state_code", "state_name", "ranking_metric",
                                "product_id", "product_name", "category", "total_quantity", "total_sales"),
    "mart_product_repeat_purchase": ("product_id", "product_name", "category", "customers", "repeat_customers",
                                     "repeat_purchase_rate", "orders_from_new_customers",
                                     "orders_from_returning_customers", "returning_share"),
    "mart_seasonal_spikes": ("grain", "subject_id", "subject_name", "month_start", "total_quantity",
                             "trailing_baseline", "spike_ratio", "is_spike"),
    "mart_price_sensitivity": ("product_id", "product_name", "category", "changed_at", "change_kind", "old_price",
                               "new_price", "days_before", "days_after", "daily_quantity_before",
                               "daily_quantity_after", "arc_elasticity"),
    "mart_category_price_elasticity": ("category", "price_changes", "median_arc_elasticity", "mean_arc_elasticity"),
}  # fmt: skip


class MartContractError(RuntimeError):
    """A mart the delivery layer reads is missing, or lacks a contracted column."""


@dataclass(frozen=True)
class PgColumn:
    """One column as PostgreSQL describes it (information_schema works for tables and views alike)."""

    name: str
    data_type: str
    numeric_precision: int | None
    numeric_scale: int | None


def table_columns(conn: psycopg.Connection, table: str, schema: str = ANALYTICS_SCHEMA) -> list[PgColumn]:
    rows = conn.execute(
        """select column_name, data_type, numeric_precision, numeric_scale
           from information_schema.columns
           where table_schema = %s and table_name = %s
           order by ordinal_position""",
        (schema, table),
    ).fetchall()
    return [PgColumn(*row) for row in rows]


def require_marts(
    conn: psycopg.Connection, tables: Iterable[str], schema: str = ANALYTICS_SCHEMA
) -> dict[str, list[PgColumn]]:
    """The columns of every table, after checking each holds its contracted columns."""
    found: dict[str, list[PgColumn]] = {}
    problems: list[str] = []
    for table in tables:
        columns = table_columns(conn, table, schema)
        if not columns:
            problems.append(f"{schema}.{table} does not exist")
            continue
        missing = [name for name in MART_COLUMNS.get(table, ()) if name not in {c.name for c in columns}]
        if missing:
            problems.append(f"{schema}.{table} lacks column(s) {', '.join(missing)}")
        found[table] = columns
    if problems:
        raise MartContractError(
            "The analytics marts do not match the delivery contract (materialize the dbt marts first): "
            + "; ".join(problems)
        )
    return found


@contextmanager
def snapshot(conn: psycopg.Connection) -> Iterator[None]:
    """One REPEATABLE READ, read-only transaction: every read inside sees the same committed marts, even while
    dbt replaces some of them, so a deliverable never mixes two builds."""
    if conn.info.transaction_status != TransactionStatus.IDLE:
        raise RuntimeError("reading the marts needs an idle connection: commit or roll back first")
    with conn.transaction():
        conn.execute("set transaction isolation level repeatable read, read only")
        yield
