"""The marts a dashboard shows, read into one compact JSON-ready payload.

Rows travel as arrays under a `columns` header, with months, products and stores replaced by indexes into
lists sent once: the file stays small enough to open from a mail attachment. The state-by-product rows, the
only ones that grow with products x states x months, are kept for the best-selling products only
(`max_state_products`), which the product picker says.

Every number the page shows is read at the grain it is computed at, or summed only across a grain it is
additive over (see dbt/models/semantic/metrics.yml): units and sales add up anywhere; orders add up across
days, months, stores and states, never across categories or products, so the all-categories figures come from
the rollup mart's own rows (`store_rollup`, `state_rollup`) and product sales are summed from days to months
per product and store only. Customer concentration is not additive at all and is sent per period.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

from shopease_platform.delivery.dashboard.geo import STATE_NAMES
from shopease_platform.delivery.marts import ANALYTICS_SCHEMA, require_marts, snapshot
from shopease_platform.window import WINDOW

DASHBOARD_MARTS = (
    "dim_products", "dim_stores", "dim_states", "fct_orders", "mart_product_sales_daily", "mart_product_popularity",
    "mart_revenue_leaders", "mart_sales_rollup_monthly", "mart_order_trend", "mart_state_product_monthly",
    "mart_state_top_products", "mart_product_repeat_purchase", "mart_seasonal_spikes", "mart_price_sensitivity",
    "mart_category_price_elasticity", "mart_customer_concentration",
)  # fmt: skip
DEFAULT_MAX_STATE_PRODUCTS = 500
SPIKES_KEPT = 200
PRICE_CHANGES_KEPT = 300


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _num(value: Any, digits: int = 2) -> float | int | None:
    """Counts stay integers; amounts and ratios become floats rounded for display."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    number = float(value) if isinstance(value, Decimal) else value
    return round(number, digits) if math.isfinite(number) else None


class _Index:
    """Assigns small integer ids in order of first sight, keeping the first description seen."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.rows: list[list[Any]] = []

    def __call__(self, key: str, *description: Any) -> int:
        if key not in self.ids:
            self.ids[key] = len(self.rows)
            self.rows.append([key, *description])
        return self.ids[key]


class _Reader:
    def __init__(self, conn: psycopg.Connection, schema: str) -> None:
        self.conn, self.schema = conn, schema
        self.products, self.stores = _Index(), _Index()
        self.months: set[str] = set()
        self.month_of: dict[Any, str] = {}
        self.catalog: dict[str, tuple[str | None, str | None]] = {}

    def query(self, template: str, *tables: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        names = [sql.Identifier(self.schema, table) for table in tables]
        return self.conn.execute(sql.SQL(template).format(*names), params).fetchall()

    def month(self, value: Any) -> str:
        month = self.month_of.get(value)
        if month is None:
            month = self.month_of[value] = _iso(value)[:7] + "-01"
            self.months.add(month)
        return month

    def product(self, product_id: str, name: str | None, category: str | None) -> int:
        return self.products(product_id, name or product_id, category or "Unknown")

    def catalog_product(self, product_id: str) -> int:
        """The product's id, described from dim_products: the largest datasets leave the names out of their
        rows (fetching them once per row was a fifth of the data collection at 365 days)."""
        return self.product(product_id, *self.catalog.get(product_id, (None, None)))


def collect_dashboard_data(
    conn: psycopg.Connection,
    schema: str = ANALYTICS_SCHEMA,
    max_state_products: int = DEFAULT_MAX_STATE_PRODUCTS,
) -> dict[str, Any]:
    """Everything the page shows, from one REPEATABLE READ snapshot of the marts."""
    with snapshot(conn):
        require_marts(conn, DASHBOARD_MARTS, schema)
        reader = _Reader(conn, schema)
        for store_id, name, kind in reader.query("select store_id, store_name, store_kind from {} order by 1",
                                                 "dim_stores"):  # fmt: skip
            reader.stores(store_id, name or store_id, kind or "")
        reader.catalog = {p: (n, c) for p, n, c in reader.query(
            "select product_id, product_name, category from {}", "dim_products")}  # fmt: skip
        datasets = {
            "sales": _sales(reader),
            "trend": _trend(reader),
            "popularity": _popularity(reader),
            "leaders": _leaders(reader),
            "store_rollup": _store_rollup(reader),
            "state_rollup": _state_rollup(reader),
            "concentration": _concentration(reader),
            "state_product": _state_product(reader, max_state_products),
            "state_top": _state_top(reader),
            "repeat": _repeat(reader),
            "spikes": _spikes(reader),
            "price": _price(reader),
            "elasticity": _elasticity(reader),
        }
        coverage = _coverage(reader)
        states = dict(STATE_NAMES)
        states.update(dict(reader.query("select state_code, state_name from {} where state_code is not null",
                                        "dim_states")))  # fmt: skip
    months = sorted(reader.months)
    month_index = {month: index for index, month in enumerate(months)}
    for name in ("sales", "popularity", "store_rollup", "state_rollup", "state_product"):
        for row in datasets[name]["rows"]:
            row[0] = month_index[row[0]]
    days = [row[0] for row in datasets["trend"]["rows"]]
    return {
        "meta": {
            "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "first_day": min(days, default=None),
            "last_day": max(days, default=None),
            "covered_until": coverage[1].isoformat() if coverage else None,
            "complete_months": _complete_periods(months, coverage, "month"),
            "complete_years": _complete_periods(months, coverage, "year"),
            "max_state_products": max_state_products,
            "state_products": len({row[2] for row in datasets["state_product"]["rows"]}),
        },
        "months": months,
        "products": reader.products.rows,
        "categories": sorted({row[2] for row in reader.products.rows}),
        "stores": reader.stores.rows,
        "states": sorted(states.items()),
        **datasets,
    }


def _dataset(columns: Iterable[str], rows: list[list[Any]]) -> dict[str, Any]:
    return {"columns": list(columns), "rows": rows}


def _sales(r: _Reader) -> dict[str, Any]:
    rows = r.query(
        """select date_trunc('month', order_date)::date, product_id, store_id,
                  sum(order_count), sum(total_quantity), sum(total_sales)
           from {} group by 1, 2, 3 order by 1, 2, 3""",
        "mart_product_sales_daily",
    )
    return _dataset(
        ("month", "product", "store", "orders", "quantity", "sales"),
        [[r.month(m), r.catalog_product(p), r.stores(s, s, ""), int(o), int(q), _num(v)] for m, p, s, o, q, v in rows],
    )


def _trend(r: _Reader) -> dict[str, Any]:
    rows = r.query(
        """select order_date, store_id, sum(order_count), sum(total_quantity), sum(total_sales),
                  sum(new_customer_orders), sum(returning_customer_orders)
           from {} group by 1, 2 order by 1, 2""",
        "mart_order_trend",
    )
    return _dataset(
        ("day", "store", "orders", "quantity", "sales", "new_orders", "returning_orders"),
        [[_iso(d), r.stores(s, s, ""), int(o), int(q), _num(v), int(n), int(rt)] for d, s, o, q, v, n, rt in rows],
    )


def _popularity(r: _Reader) -> dict[str, Any]:
    rows = r.query(
        """select period_start, product_id, product_name, category, order_count, total_quantity, total_sales,
                  rank_by_orders, rank_by_sales, category_rank_by_orders, category_rank_by_sales
           from {} where period_grain = 'month' order by 1, rank_by_orders, product_id""",
        "mart_product_popularity",
    )
    return _dataset(
        ("month", "product", "orders", "quantity", "sales", "rank_by_orders", "rank_by_sales",
         "category_rank_by_orders", "category_rank_by_sales"),
        [[r.month(m), r.product(p, pn, c), int(o), int(q), _num(v), _int(ro), _int(rs), _int(cro), _int(crs)]
         for m, p, pn, c, o, q, v, ro, rs, cro, crs in rows],
    )  # fmt: skip


def _leaders(r: _Reader) -> dict[str, Any]:
    rows = r.query(
        """select period_grain, period_start, leader_rank, product_id, product_name, category,
                  total_sales, order_count, total_quantity
           from {} order by 1, 2, 3""",
        "mart_revenue_leaders",
    )
    return _dataset(
        ("grain", "period", "rank", "product", "sales", "orders", "quantity"),
        [[g, _iso(ps), _int(rank), r.product(p, pn, c), _num(v), int(o), int(q)]
         for g, ps, rank, p, pn, c, v, o, q in rows],
    )  # fmt: skip


def _store_rollup(r: _Reader) -> dict[str, Any]:
    rows = r.query(
        """select month_start, store_id, category, order_count, total_quantity, total_sales
           from {} where rollup_grain in ('store', 'store_category') order by 1, 2, 3 nulls first""",
        "mart_sales_rollup_monthly",
    )
    return _dataset(
        ("month", "store", "category", "orders", "quantity", "sales"),
        [[r.month(m), r.stores(s, s, ""), c, int(o), int(q), _num(v)] for m, s, c, o, q, v in rows],
    )


def _state_rollup(r: _Reader) -> dict[str, Any]:
    rows = r.query(
        """select month_start, state_code, category, order_count, total_quantity, total_sales
           from {} where rollup_grain in ('state', 'state_category') and state_code is not null
           order by 1, 2, 3 nulls first""",
        "mart_sales_rollup_monthly",
    )
    return _dataset(
        ("month", "state", "category", "orders", "quantity", "sales"),
        [[r.month(m), s, c, int(o), int(q), _num(v)] for m, s, c, o, q, v in rows],
    )


def _concentration(r: _Reader) -> dict[str, Any]:
    rows = r.query(
        """select period_grain, period_start, customers, top_customers, total_sales, top_customer_sales,
                  top_customer_share
           from {} order by 1, 2""",
        "mart_customer_concentration",
    )
    return _dataset(
        ("grain", "period", "customers", "top_customers", "sales", "top_sales", "top_share"),
        [[g, _iso(p), int(c), int(t), _num(v), _num(tv), _num(sh, 6)] for g, p, c, t, v, tv, sh in rows],
    )


def _coverage(r: _Reader) -> tuple[datetime, datetime] | None:
    """[start of the first, end of the last] load window holding an order: the data is complete in between."""
    first, last = r.query(
        """select date_bin(%(w)s, min(ordered_at), timestamptz '2000-01-01 00:00+00'),
                  date_bin(%(w)s, max(ordered_at), timestamptz '2000-01-01 00:00+00') + %(w)s from {}""",
        "fct_orders",
        params={"w": WINDOW},
    )[0]
    return None if first is None else (first, last)


def _next_start(start: date, grain: str) -> date:
    if grain == "year":
        return date(start.year + 1, 1, 1)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _complete_periods(months: Sequence[str], coverage: tuple[datetime, datetime] | None, grain: str) -> list[str]:
    """The months (or years) that the loaded windows cover from their first to their last hour, in order."""
    if coverage is None:
        return []
    first, last = coverage
    starts = {date.fromisoformat(m) if grain == "month" else date.fromisoformat(m).replace(month=1) for m in months}
    complete = [s for s in starts if first <= _midnight(s) and _midnight(_next_start(s, grain)) <= last]
    return [start.isoformat() for start in sorted(complete)]


def _state_product(r: _Reader, max_products: int) -> dict[str, Any]:
    rows = r.query(
        """with kept as (
               select product_id from {0} group by product_id
               order by sum(total_quantity) desc, product_id limit %s
           )
           select month_start, state_code, product_id, order_count, total_quantity, total_sales
           from {0} join kept using (product_id)
           where state_code is not null order by 1, 2, 3""",
        "mart_state_product_monthly",
        params=(max_products,),
    )
    return _dataset(
        ("month", "state", "product", "orders", "quantity", "sales"),
        [[r.month(m), s, r.catalog_product(p), int(o), int(q), _num(v)] for m, s, p, o, q, v in rows],
    )


def _state_top(r: _Reader) -> dict[str, Any]:
    rows = r.query(
        """select period_grain, period_start, state_code, ranking_metric, product_id, product_name, category,
                  total_quantity, total_sales
           from {} where state_code is not null order by 1, 2, 3, 4""",
        "mart_state_top_products",
    )
    return _dataset(
        ("grain", "period", "state", "metric", "product", "quantity", "sales"),
        [[g, _iso(ps), s, rm, r.product(p, pn, c), int(q), _num(v)] for g, ps, s, rm, p, pn, c, q, v in rows],
    )


def _repeat(r: _Reader) -> dict[str, Any]:
    rows = r.query(
        """select product_id, product_name, category, customers, repeat_customers, repeat_purchase_rate,
                  orders_from_new_customers, orders_from_returning_customers, returning_share
           from {} order by 1""",
        "mart_product_repeat_purchase",
    )
    return _dataset(
        ("product", "customers", "repeat_customers", "repeat_rate", "new_orders", "returning_orders",
         "returning_share"),
        [[r.product(p, pn, c), int(cu), int(rc), _num(rate, 4), int(n), int(rt), _num(sh, 4)]
         for p, pn, c, cu, rc, rate, n, rt, sh in rows],
    )  # fmt: skip


def _spikes(r: _Reader) -> dict[str, Any]:
    rows = r.query(
        """select grain, subject_id, subject_name, month_start, total_quantity, trailing_baseline, spike_ratio
           from {} where is_spike order by spike_ratio desc nulls last, 1, 2, 4 limit %s""",
        "mart_seasonal_spikes",
        params=(SPIKES_KEPT,),
    )
    return _dataset(
        ("grain", "subject_id", "subject", "month", "quantity", "baseline", "ratio"),
        [[g, sid, name, _iso(m), int(q), _num(b), _num(ratio)] for g, sid, name, m, q, b, ratio in rows],
    )


def _price(r: _Reader) -> dict[str, Any]:
    rows = r.query(
        """select product_id, product_name, category, changed_at, change_kind, old_price, new_price,
                  days_before, days_after, daily_quantity_before, daily_quantity_after, arc_elasticity
           from {} where arc_elasticity is not null
           order by abs(arc_elasticity) desc, product_id, changed_at limit %s""",
        "mart_price_sensitivity",
        params=(PRICE_CHANGES_KEPT,),
    )
    return _dataset(
        ("product", "changed_at", "kind", "old_price", "new_price", "days_before", "days_after",
         "daily_quantity_before", "daily_quantity_after", "elasticity"),
        [[r.product(p, pn, c), _iso(at), kind, _num(op), _num(np), _int(db), _int(da), _num(qb), _num(qa), _num(e)]
         for p, pn, c, at, kind, op, np, db, da, qb, qa, e in rows],
    )  # fmt: skip


def _elasticity(r: _Reader) -> dict[str, Any]:
    rows = r.query(
        "select category, price_changes, median_arc_elasticity, mean_arc_elasticity from {} order by 1",
        "mart_category_price_elasticity",
    )
    return _dataset(
        ("category", "price_changes", "median_elasticity", "mean_elasticity"),
        [[c, int(n), _num(med), _num(mean)] for c, n, med, mean in rows],
    )
