"""Every figure the deliverables show, asked of the `raw` tables directly: the independent side of the checks.

Nothing here reads a dbt model. The latest version of each raw row is joined by hand (order lines to their
order, customer and product), and each question is one SQL aggregate over those lines at the grain it is
asked at: a distinct count is always `count(distinct ...)` over lines, never a sum of another grain's counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import psycopg
from psycopg import sql

RAW_LINES = """
create temporary table oracle_lines as
with items as (
    select distinct on (order_id, line_number) order_id, line_number, product_id, quantity, line_revenue, ordered_at
    from raw.order_items order by order_id, line_number, _loaded_at desc, _source_id desc
), orders as (
    select distinct on (order_id) order_id, customer_id, store_id
    from raw.orders order by order_id, _loaded_at desc, _source_id desc
), customers as (
    select distinct on (customer_id) customer_id, upper(state) as state
    from raw.customers order by customer_id, _loaded_at desc, _source_id desc
), products as (
    select distinct on (product_id) product_id, category
    from raw.products order by product_id, _loaded_at desc, _source_id desc
)
select i.order_id, i.product_id, i.quantity, i.line_revenue, (i.ordered_at at time zone 'UTC')::date as day,
       p.category, o.store_id, o.customer_id, c.state
from items i
join orders o on o.order_id = i.order_id
left join customers c on c.customer_id = o.customer_id
left join products p on p.product_id = i.product_id
"""
MEASURES = {
    "orders": "count(distinct order_id)",
    "quantity": "coalesce(sum(quantity), 0)",
    "sales": "coalesce(sum(line_revenue), 0)",
    "products": "count(distinct product_id)",
    "states": "count(distinct state)",
}


@dataclass(frozen=True)
class Slice:
    """A selection of order lines: a period (year, month of year, or one month) and equality filters."""

    year: int | None = None
    month: int | None = None
    month_start: date | None = None
    category: str | None = None
    store_id: str | None = None
    product_id: str | None = None

    @classmethod
    def period(cls, grain: str, start: date) -> Slice:
        """One period of a mart: 'all' (all time), 'year' or 'month' starting at `start`."""
        if grain == "all":
            return cls()
        return cls(month_start=start) if grain == "month" else cls(year=start.year)

    def where(self) -> tuple[sql.Composable, dict[str, Any]]:
        clauses, params = [sql.SQL("true")], {}
        if self.year:
            clauses.append(sql.SQL("extract(year from day) = %(year)s"))
            params["year"] = self.year
        if self.month:
            clauses.append(sql.SQL("extract(month from day) = %(month)s"))
            params["month"] = self.month
        if self.month_start:
            clauses.append(sql.SQL("date_trunc('month', day)::date = %(month_start)s"))
            params["month_start"] = self.month_start
        for column in ("category", "store_id", "product_id"):
            if getattr(self, column):
                clauses.append(sql.SQL("{} = %({})s").format(sql.Identifier(column), sql.SQL(column)))
                params[column] = getattr(self, column)
        return sql.SQL(" and ").join(clauses), params


class RawOracle:
    """Questions about one database's raw tables, answered in SQL on a snapshot of its order lines.

    The snapshot never changes, so each answer is kept: the property test asks the same slice many times.
    """

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        conn.execute(RAW_LINES)
        conn.execute("analyze oracle_lines")
        self.totals = cache(self.totals)  # type: ignore[method-assign]
        self.by = cache(self.by)  # type: ignore[method-assign]
        self.top_customer_share = cache(self.top_customer_share)  # type: ignore[method-assign]

    def totals(self, where: Slice, measures: tuple[str, ...] = ("orders", "quantity", "sales")) -> dict[str, float]:
        condition, params = where.where()
        query = sql.SQL("select {} from oracle_lines where {}").format(
            sql.SQL(", ").join(sql.SQL(MEASURES[m]) for m in measures), condition
        )
        return dict(zip(measures, (float(v) for v in self.conn.execute(query, params).fetchone()), strict=True))

    def by(self, column: str, where: Slice, measure: str) -> dict[str, float]:
        """{value of `column`: measure} over the slice."""
        condition, params = where.where()
        query = sql.SQL("select {col}, {m} from oracle_lines where {c} and {col} is not null group by 1").format(
            col=sql.Identifier(column), m=sql.SQL(MEASURES[measure]), c=condition
        )
        return {key: float(value) for key, value in self.conn.execute(query, params).fetchall()}

    def top_customer_share(self, where: Slice, share: float = 0.05) -> float | None:
        """Share of the slice's sales bought by the top ceil(share x customers) customers."""
        condition, params = where.where()
        query = sql.SQL("""
            with customers as (
                select customer_id, sum(line_revenue) as sales from oracle_lines where {} group by 1
            ), ranked as (
                select sales, row_number() over (order by sales desc, customer_id) as rank, count(*) over () as n
                from customers
            )
            select sum(sales) filter (where rank <= ceil(%(share)s * n)) / nullif(sum(sales), 0) from ranked
        """).format(condition)
        value = self.conn.execute(query, {**params, "share": share}).fetchone()[0]
        return None if value is None else float(value)

    def returning_orders(self) -> tuple[int, int]:
        """(orders, orders whose customer had ordered before or existed before the order's 3-hour window)."""
        row = self.conn.execute("""
            with orders as (
                select distinct on (order_id) order_id, customer_id, ordered_at
                from raw.orders order by order_id, _loaded_at desc, _source_id desc
            ), customers as (
                select distinct on (customer_id) customer_id, created_at
                from raw.customers order by customer_id, _loaded_at desc, _source_id desc
            ), ranked as (
                select o.*, row_number() over (partition by o.customer_id order by o.ordered_at, o.order_id) as nth
                from orders o
            )
            select count(*),
                   count(*) filter (where (o.customer_id is not null and o.nth > 1)
                       or c.created_at < date_bin('3 hours', o.ordered_at, timestamptz '2000-01-01 00:00+00'))
            from ranked o left join customers c on c.customer_id = o.customer_id
        """).fetchone()
        return int(row[0]), int(row[1])
