"""A small, deterministic warehouse shaped like the dbt marts, for the delivery tests.

Order lines are generated in Python from a fixed seed; every mart is then derived from them with SQL, so the
marts agree with each other the way dbt's do, and a test can recompute any number the deliverables show
with a query of its own. Names carry quotes, `&` and `<` on purpose (escaping in XML, JSON and HTML).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

import psycopg

FIRST_DAY = date(2025, 11, 1)
LAST_DAY = date(2026, 2, 28)

STATES = (
    ("CA", "California", "06", "West", 36.78, -119.42),
    ("TX", "Texas", "48", "South", 31.97, -99.90),
    ("NY", "New York", "36", "Northeast", 42.17, -74.95),
    ("FL", "Florida", "12", "South", 27.66, -81.52),
    ("WA", "Washington", "53", "West", 47.75, -120.74),
    ("IL", "Illinois", "17", "Midwest", 40.63, -89.40),
    ("GA", "Georgia", "13", "South", 32.16, -82.90),
    ("MA", "Massachusetts", "25", "Northeast", 42.41, -71.38),
)
STORES = (
    ("S000", "ShopEase Online", "online", None, None),
    ("S001", "Los Angeles", "branch", "CA", "Los Angeles"),
    ("S002", "Houston", "branch", "TX", "Houston"),
    ("S003", "New York City", "branch", "NY", "New York"),
)
PRODUCTS = (
    ("P001", "Electronics", "Audio", "Wireless Earbuds", 49.99),
    ("P002", "Electronics", "Audio", "Bluetooth Speaker", 89.99),
    ("P003", "Electronics", "Chargers", "USB-C Charger", 19.99),
    ("P004", "Home & Kitchen", "Cookware", "Chef's Knife", 39.99),
    ("P005", "Home & Kitchen", "Cookware", "Cast Iron Skillet", 34.99),
    ("P006", "Home & Kitchen", "Bedding", "Linen Sheet Set", 79.99),
    ("P007", "Toys & Games", "Building", "Building Blocks Set", 29.99),
    ("P008", "Toys & Games", "Puzzles", 'Puzzle "1000 pieces"', 14.99),
    ("P009", "Toys & Games", "Vehicles", "Remote Control Car", 59.99),
    ("P010", "Books", "Cooking", "Cookbook: Family Dinners & More", 24.99),
    ("P011", "Books", "Fiction", "Mystery Novel", 12.99),
    ("P012", "Books", "Travel", "Travel Guide <USA>", 18.99),
)
# (product_id, day the price changed, new price)
PRICE_CHANGES = (
    ("P002", date(2026, 1, 15), 69.99),
    ("P005", date(2026, 1, 15), 39.99),
    ("P008", date(2025, 12, 10), 9.99),
)
CUSTOMERS = 40


@dataclass(frozen=True)
class Line:
    order_id: str
    line_number: int
    product_id: str
    customer_id: str
    store_id: str
    state_code: str
    category: str
    ordered_at: datetime
    quantity: int
    unit_price: float
    is_returning_customer: bool


BASE_PRICES = {p[0]: p[4] for p in PRODUCTS}


def price_on(product_id: str, day: date) -> float:
    for changed_id, changed_on, new_price in PRICE_CHANGES:
        if changed_id == product_id and day >= changed_on:
            return new_price
    return BASE_PRICES[product_id]


def generate_lines(orders: int = 320, seed: int = 20260101, customers: int = CUSTOMERS) -> list[Line]:
    """Orders over four months; toys sell three times as well in December (a seasonal spike)."""
    rng = random.Random(seed)
    home = {f"C{n:03d}": rng.choice(STATES[:6] if n % 5 else STATES)[0] for n in range(1, customers + 1)}
    customer_ids = sorted(home)
    branches = {store[3]: store[0] for store in STORES if store[3]}
    branch_ids = sorted(branches.values())
    cumulative = {
        december: list(accumulate(3.0 if december and p[1] == "Toys & Games" else 1.0 for p in PRODUCTS))
        for december in (False, True)
    }
    days = (LAST_DAY - FIRST_DAY).days + 1
    placed = []
    for _ in range(orders):
        day = FIRST_DAY + timedelta(days=rng.randrange(days))
        placed.append((datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=rng.randrange(86_400)),
                       rng.choice(customer_ids)))  # fmt: skip
    placed.sort()
    seen: set[str] = set()
    lines = []
    for number, (ordered_at, customer) in enumerate(placed, start=1):
        state = home[customer]
        store = "S000" if rng.random() < 0.5 else branches.get(state, rng.choice(branch_ids))
        chosen: list[tuple] = []
        wanted = rng.randint(1, 3)
        while len(chosen) < wanted:
            product = rng.choices(PRODUCTS, cum_weights=cumulative[ordered_at.month == 12])[0]
            if product not in chosen:
                chosen.append(product)
        for line_number, product in enumerate(chosen, start=1):
            lines.append(Line(f"O{number:05d}", line_number, product[0], customer, store, state, product[1],
                              ordered_at, rng.randint(1, 4), price_on(product[0], ordered_at.date()),
                              customer in seen))  # fmt: skip
        seen.add(customer)
    return lines


DDL = """
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists analytics;
create table raw.orders (order_id text primary key, payload text);
insert into raw.orders values ('O00001', 'raw order');
create view staging.stg_orders as select order_id from raw.orders;
create table analytics.dim_states (state_code text primary key, state_name text, fips_code text, region text,
    latitude double precision, longitude double precision);
create table analytics.dim_stores (store_id text primary key, store_name text, store_kind text, state_code text,
    city text);
create table analytics.dim_products (product_id text primary key, sku text, product_name text, category text,
    subcategory text, brand text, base_price numeric(10, 2), current_price numeric(10, 2),
    launched_at timestamptz);
create table analytics.dim_date as
select d::date as date_day, extract(year from d)::int as year, extract(month from d)::int as month,
       date_trunc('month', d)::date as month_start, to_char(d, 'FMMonth') as month_name,
       extract(quarter from d)::int as quarter, extract(isodow from d)::int as day_of_week,
       extract(isodow from d) in (6, 7) as is_weekend
from generate_series(date '2025-11-01', date '2026-02-28', interval '1 day') as d;
create table analytics.fct_order_items (order_id text, line_number int, product_id text, customer_id text,
    store_id text, state_code text, category text, ordered_at timestamptz, order_date date, quantity int,
    unit_price numeric(10, 2), line_revenue numeric(12, 2), is_returning_customer boolean,
    primary key (order_id, line_number));
"""

MARTS = """
create table analytics.fct_orders as
select order_id, min(customer_id) as customer_id, min(store_id) as store_id, min(state_code) as state_code,
       min(ordered_at) as ordered_at, min(order_date) as order_date, count(*)::int as line_count,
       sum(quantity)::int as total_quantity, sum(line_revenue)::numeric(14, 2) as order_revenue,
       row_number() over (partition by min(customer_id) order by min(ordered_at), order_id)::int
           as customer_order_number,
       bool_or(is_returning_customer) as is_returning_customer
from analytics.fct_order_items group by order_id;

create table analytics.mart_product_sales_daily as
select i.order_date, extract(year from i.order_date)::int as year, extract(month from i.order_date)::int as month,
       i.product_id, p.product_name, i.category, i.store_id, s.store_name, s.store_kind,
       count(distinct i.order_id)::int as order_count, sum(i.quantity)::int as total_quantity,
       sum(i.line_revenue)::numeric(14, 2) as total_sales
from analytics.fct_order_items i
join analytics.dim_products p using (product_id)
join analytics.dim_stores s using (store_id)
group by i.order_date, i.product_id, p.product_name, i.category, i.store_id, s.store_name, s.store_kind;

create table analytics.mart_product_popularity as
with periods as (
    select 'day' as period_grain, order_date as period_start, product_id, category, order_id, quantity, line_revenue
    from analytics.fct_order_items
    union all
    select 'month', date_trunc('month', order_date)::date, product_id, category, order_id, quantity, line_revenue
    from analytics.fct_order_items
), totals as (
    select period_grain, period_start, product_id, min(category) as category,
           count(distinct order_id)::int as order_count, sum(quantity)::int as total_quantity,
           sum(line_revenue)::numeric(14, 2) as total_sales
    from periods group by 1, 2, 3
)
select t.period_grain, t.period_start, t.product_id, p.product_name, t.category, t.order_count, t.total_quantity,
       t.total_sales,
       rank() over (partition by t.period_grain, t.period_start order by t.order_count desc) as rank_by_orders,
       rank() over (partition by t.period_grain, t.period_start order by t.total_sales desc) as rank_by_sales,
       rank() over (partition by t.period_grain, t.period_start, t.category order by t.order_count desc)
           as category_rank_by_orders,
       rank() over (partition by t.period_grain, t.period_start, t.category order by t.total_sales desc)
           as category_rank_by_sales
from totals t join analytics.dim_products p using (product_id);

create table analytics.mart_revenue_leaders as
with periods as (
    select 'month' as period_grain, date_trunc('month', order_date)::date as period_start, product_id, order_id,
           quantity, line_revenue
    from analytics.fct_order_items
    union all
    select 'year', date_trunc('year', order_date)::date, product_id, order_id, quantity, line_revenue
    from analytics.fct_order_items
), ranked as (
    select period_grain, period_start, product_id, sum(line_revenue)::numeric(14, 2) as total_sales,
           count(distinct order_id)::int as order_count, sum(quantity)::int as total_quantity,
           row_number() over (partition by period_grain, period_start
                              order by sum(line_revenue) desc, product_id) as leader_rank
    from periods group by 1, 2, 3
)
select r.period_grain, r.period_start, r.leader_rank::int, r.product_id, p.product_name, p.category, r.total_sales,
       r.order_count, r.total_quantity
from ranked r join analytics.dim_products p using (product_id) where r.leader_rank <= 5;

create table analytics.mart_category_performance as
with monthly as (
    select date_trunc('month', order_date)::date as month_start, category,
           count(distinct order_id)::int as order_count, sum(quantity)::int as total_quantity,
           sum(line_revenue)::numeric(14, 2) as total_sales
    from analytics.fct_order_items group by 1, 2
)
select *, round(total_sales / sum(total_sales) over (partition by month_start), 4) as sales_share,
       round(total_sales / nullif(lag(total_sales) over (partition by category order by month_start), 0) - 1, 4)
           as sales_change_vs_prior_month
from monthly;

create table analytics.mart_order_trend as
select order_date, store_id, count(*)::int as order_count, sum(total_quantity)::int as total_quantity,
       sum(order_revenue)::numeric(14, 2) as total_sales,
       count(*) filter (where not is_returning_customer)::int as new_customer_orders,
       count(*) filter (where is_returning_customer)::int as returning_customer_orders
from analytics.fct_orders group by 1, 2;

create table analytics.mart_sales_rollup_monthly as
select case when grouping(state_code) = 1 and grouping(category) = 1 then 'store'
            when grouping(state_code) = 1 then 'store_category'
            when grouping(category) = 1 then 'state' else 'state_category' end as rollup_grain,
       month_start, store_id, state_code, category,
       count(distinct order_id)::bigint as order_count, count(distinct customer_id)::bigint as customer_count,
       sum(quantity)::bigint as total_quantity, sum(line_revenue)::numeric(16, 2) as total_sales
from (select *, date_trunc('month', order_date)::date as month_start from analytics.fct_order_items) i
group by grouping sets ((month_start, store_id, category), (month_start, store_id),
                        (month_start, state_code, category), (month_start, state_code));

create table analytics.mart_customer_concentration as
with periods as (
    select 'month' as period_grain, date_trunc('month', order_date)::date as period_start, customer_id, line_revenue
    from analytics.fct_order_items
    union all
    select 'year', date_trunc('year', order_date)::date, customer_id, line_revenue from analytics.fct_order_items
    union all
    select 'all', (select date_trunc('month', min(order_date))::date from analytics.fct_order_items), customer_id,
           line_revenue
    from analytics.fct_order_items
), customers as (
    select period_grain, period_start, customer_id, sum(line_revenue) as sales,
           row_number() over (partition by period_grain, period_start order by sum(line_revenue) desc, customer_id)
               as sales_rank,
           count(*) over (partition by period_grain, period_start) as customers
    from periods group by 1, 2, 3
)
select period_grain, period_start, max(customers)::bigint as customers,
       ceil(0.05 * max(customers))::bigint as top_customers, sum(sales)::numeric(16, 2) as total_sales,
       sum(sales) filter (where sales_rank <= ceil(0.05 * customers))::numeric(16, 2) as top_customer_sales,
       round(sum(sales) filter (where sales_rank <= ceil(0.05 * customers)) / sum(sales), 6)::numeric(8, 6)
           as top_customer_share
from customers group by 1, 2;

create view analytics.mart_order_lines as
select i.order_id, i.line_number, i.order_date, date_trunc('month', i.order_date)::date as month_start,
       i.product_id, p.product_name, i.category, i.store_id, s.store_name, s.store_kind, i.state_code,
       st.state_name, i.customer_id, i.is_returning_customer, i.quantity, i.unit_price, i.line_revenue
from analytics.fct_order_items i
left join analytics.dim_products p on p.product_id = i.product_id
left join analytics.dim_stores s on s.store_id = i.store_id
left join analytics.dim_states st on st.state_code = i.state_code;

create table analytics.mart_state_product_monthly as
select date_trunc('month', i.order_date)::date as month_start, i.state_code, st.state_name, i.product_id,
       p.product_name, i.category, count(distinct i.order_id)::int as order_count,
       sum(i.quantity)::int as total_quantity, sum(i.line_revenue)::numeric(14, 2) as total_sales
from analytics.fct_order_items i
join analytics.dim_products p using (product_id)
join analytics.dim_states st using (state_code)
group by 1, 2, 3, 4, 5, 6;

create table analytics.mart_state_sales_monthly as
select month_start, state_code, state_name, category, sum(order_count)::int as order_count,
       sum(total_quantity)::int as total_quantity, sum(total_sales)::numeric(14, 2) as total_sales
from analytics.mart_state_product_monthly group by 1, 2, 3, 4;

create table analytics.mart_state_top_products as
with periods as (
    select 'month' as period_grain, month_start as period_start, state_code, state_name, product_id, product_name,
           category, total_quantity, total_sales
    from analytics.mart_state_product_monthly
    union all
    select 'all', null::date, state_code, state_name, product_id, product_name, category, total_quantity, total_sales
    from analytics.mart_state_product_monthly
), totals as (
    select period_grain, period_start, state_code, min(state_name) as state_name, product_id,
           min(product_name) as product_name, min(category) as category,
           sum(total_quantity)::int as total_quantity, sum(total_sales)::numeric(14, 2) as total_sales
    from periods group by period_grain, period_start, state_code, product_id
), ranked as (
    select 'quantity' as ranking_metric, *, row_number() over (partition by period_grain, period_start, state_code
           order by total_quantity desc, product_id) as position from totals
    union all
    select 'sales', *, row_number() over (partition by period_grain, period_start, state_code
           order by total_sales desc, product_id) from totals
)
select period_grain, period_start, state_code, state_name, ranking_metric, product_id, product_name, category,
       total_quantity, total_sales
from ranked where position = 1;

create table analytics.mart_product_repeat_purchase as
with per_customer as (
    select product_id, customer_id, count(distinct order_id) as orders from analytics.fct_order_items group by 1, 2
), per_product as (
    select product_id, count(*)::int as customers, count(*) filter (where orders > 1)::int as repeat_customers
    from per_customer group by 1
), by_kind as (
    select product_id,
           count(distinct order_id) filter (where not is_returning_customer)::int as orders_from_new_customers,
           count(distinct order_id) filter (where is_returning_customer)::int as orders_from_returning_customers
    from analytics.fct_order_items group by 1
)
select p.product_id, d.product_name, d.category, p.customers, p.repeat_customers,
       round(p.repeat_customers::numeric / p.customers, 4) as repeat_purchase_rate,
       k.orders_from_new_customers, k.orders_from_returning_customers,
       round(k.orders_from_returning_customers::numeric
             / (k.orders_from_new_customers + k.orders_from_returning_customers), 4) as returning_share
from per_product p join by_kind k using (product_id) join analytics.dim_products d using (product_id);

create table analytics.mart_seasonal_spikes as
with monthly as (
    select 'category' as grain, category as subject_id, category as subject_name,
           date_trunc('month', order_date)::date as month_start, sum(quantity)::int as total_quantity
    from analytics.fct_order_items group by 1, 2, 3, 4
    union all
    select 'product', i.product_id, p.product_name, date_trunc('month', i.order_date)::date, sum(i.quantity)::int
    from analytics.fct_order_items i join analytics.dim_products p using (product_id) group by 1, 2, 3, 4
), baselined as (
    select *, avg(total_quantity) over (partition by grain, subject_id order by month_start
                                        rows between 3 preceding and 1 preceding) as trailing_baseline
    from monthly
)
select grain, subject_id, subject_name, month_start, total_quantity, round(trailing_baseline, 2) as trailing_baseline,
       round(total_quantity / nullif(trailing_baseline, 0), 3) as spike_ratio,
       coalesce(total_quantity >= 1.5 * trailing_baseline
                and total_quantity >= case grain when 'category' then 10 else 4 end, false) as is_spike
from baselined;
"""

PRICE_MARTS = """
create table analytics.mart_price_sensitivity as
with windows as (
    select c.product_id, c.changed_at, c.old_price, c.new_price,
           coalesce(sum(i.quantity) filter (where i.order_date >= c.changed_at - 14 and i.order_date < c.changed_at), 0)
               / 14.0 as daily_quantity_before,
           coalesce(sum(i.quantity) filter (where i.order_date >= c.changed_at and i.order_date < c.changed_at + 14), 0)
               / 14.0 as daily_quantity_after
    from price_changes c left join analytics.fct_order_items i using (product_id)
    group by 1, 2, 3, 4
)
select w.product_id, p.product_name, p.category, w.changed_at,
       case when w.new_price < w.old_price then 'decrease' else 'increase' end as change_kind,
       w.old_price, w.new_price, 14 as days_before, 14 as days_after,
       round(w.daily_quantity_before, 3) as daily_quantity_before,
       round(w.daily_quantity_after, 3) as daily_quantity_after,
       round(((w.daily_quantity_after - w.daily_quantity_before)
              / nullif((w.daily_quantity_after + w.daily_quantity_before) / 2, 0))
             / ((w.new_price - w.old_price) / ((w.new_price + w.old_price) / 2)), 3) as arc_elasticity
from windows w join analytics.dim_products p using (product_id);

create table analytics.mart_category_price_elasticity as
select category, count(*)::int as price_changes,
       percentile_cont(0.5) within group (order by arc_elasticity) as median_arc_elasticity,
       avg(arc_elasticity)::double precision as mean_arc_elasticity
from analytics.mart_price_sensitivity group by 1;
"""


def build_marts(conn: psycopg.Connection, orders: int = 320, seed: int = 20260101) -> list[Line]:
    """Create raw/staging stand-ins, the dimensions, the facts and every mart; commits."""
    lines = generate_lines(orders, seed)
    conn.execute(DDL)
    with conn.cursor() as cursor:
        cursor.executemany("insert into analytics.dim_states values (%s, %s, %s, %s, %s, %s)", STATES)
        cursor.executemany("insert into analytics.dim_stores values (%s, %s, %s, %s, %s)", STORES)
        cursor.executemany(
            "insert into analytics.dim_products values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(pid, f"SE-{pid}", name, category, sub, "ShopEase", price, price_on(pid, LAST_DAY),
              datetime(2025, 1, 1, tzinfo=UTC)) for pid, category, sub, name, price in PRODUCTS],
        )  # fmt: skip
        buffer = io.StringIO()
        for line in lines:
            revenue = round(line.quantity * line.unit_price, 2)
            buffer.write(
                "\t".join(str(v) for v in (line.order_id, line.line_number, line.product_id, line.customer_id,
                                           line.store_id, line.state_code, line.category, line.ordered_at.isoformat(),
                                           line.ordered_at.date(), line.quantity, line.unit_price, revenue,
                                           line.is_returning_customer)) + "\n"
            )  # fmt: skip
        with cursor.copy("copy analytics.fct_order_items from stdin") as copy:
            copy.write(buffer.getvalue())
        conn.execute(MARTS)
        conn.execute(
            "create temporary table price_changes (product_id text, changed_at date, old_price numeric, "
            "new_price numeric) on commit drop"
        )
        cursor.executemany(
            "insert into price_changes values (%s, %s, %s, %s)",
            [(pid, day, BASE_PRICES[pid], new) for pid, day, new in PRICE_CHANGES],
        )
        conn.execute(PRICE_MARTS)
    conn.commit()
    return lines
