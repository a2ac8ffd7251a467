{{ config(meta={'dagster': {'ref': {'name': 'fct_order_items'}}}) }}
-- (meta.dagster.ref: the asset Dagster reports this check on, as the test reads several models)
-- Every sales mart adds up to the facts, month by month: orders, units and revenue of each mart (rolled up
-- to the UTC month) equal those of fct_orders / fct_order_items. A window rebuilt in one model but not in
-- another, or a row counted twice, shows up here. Returns one row per (mart, month, measure) that differs.
with

facts as (

    select
        month_start,
        sum(quantity) as total_quantity,
        sum(line_revenue) as total_sales
    from {{ ref('fct_order_items') }}
    group by month_start

),

fact_orders as (

    select
        month_start,
        count(*) as order_count,
        sum(order_revenue) as total_sales,
        sum(total_quantity) as total_quantity
    from {{ ref('fct_orders') }}
    group by month_start

),

marts as (

    select
        'fct_orders' as mart,
        month_start,
        order_count,
        total_quantity,
        total_sales
    from fact_orders

    union all

    select
        'mart_order_trend' as mart,
        month_start,
        sum(order_count) as order_count,
        sum(total_quantity) as total_quantity,
        sum(total_sales) as total_sales
    from {{ ref('mart_order_trend') }}
    group by month_start

    union all

    select
        'mart_product_sales_daily' as mart,
        month_start,
        null as order_count,
        sum(total_quantity) as total_quantity,
        sum(total_sales) as total_sales
    from {{ ref('mart_product_sales_daily') }}
    group by month_start

    union all

    select
        'mart_product_popularity:day' as mart,
        date_trunc('month', period_start)::date as month_start,
        null as order_count,
        sum(total_quantity) as total_quantity,
        sum(total_sales) as total_sales
    from {{ ref('mart_product_popularity') }}
    where period_grain = 'day'
    group by date_trunc('month', period_start)::date

    union all

    select
        'mart_product_popularity:month' as mart,
        period_start as month_start,
        null as order_count,
        sum(total_quantity) as total_quantity,
        sum(total_sales) as total_sales
    from {{ ref('mart_product_popularity') }}
    where period_grain = 'month'
    group by period_start

    union all

    select
        'mart_state_product_monthly' as mart,
        month_start,
        null as order_count,
        sum(total_quantity) as total_quantity,
        sum(total_sales) as total_sales
    from {{ ref('mart_state_product_monthly') }}
    group by month_start

    union all

    select
        'mart_state_sales_monthly' as mart,
        month_start,
        null as order_count,
        sum(total_quantity) as total_quantity,
        sum(total_sales) as total_sales
    from {{ ref('mart_state_sales_monthly') }}
    group by month_start

    union all

    select
        'mart_category_performance' as mart,
        month_start,
        null as order_count,
        sum(total_quantity) as total_quantity,
        sum(total_sales) as total_sales
    from {{ ref('mart_category_performance') }}
    group by month_start

),

mart_names as (

    select distinct mart from marts

),

months as (

    select month_start from facts
    union
    select month_start from marts

),

grid as (

    select
        mart_names.mart,
        months.month_start
    from mart_names
    cross join months

),

compared as (

    select
        grid.mart,
        grid.month_start,
        measure.name as measure,
        measure.mart_value,
        measure.fact_value
    from grid
    left join marts on grid.mart = marts.mart and grid.month_start = marts.month_start
    left join facts on grid.month_start = facts.month_start
    left join fact_orders on grid.month_start = fact_orders.month_start
    cross join
        lateral (
            values
            ('order_count', marts.order_count::numeric, fact_orders.order_count::numeric),
            ('total_quantity', marts.total_quantity::numeric, facts.total_quantity::numeric),
            ('total_sales', marts.total_sales::numeric, facts.total_sales::numeric)
        ) as measure (name, mart_value, fact_value)
    -- only some marts count orders (product-level order counts do not add up to orders)
    where measure.name <> 'order_count' or grid.mart in ('fct_orders', 'mart_order_trend')

),

customer_sums as (

    select
        sum(order_count) as order_count,
        sum(lifetime_revenue) as total_sales
    from {{ ref('dim_customers') }}

),

order_sums as (

    select
        count(*) as order_count,
        sum(order_revenue) as total_sales
    from {{ ref('fct_orders') }}

),

customer_totals as (

    select
        'dim_customers' as mart,
        null::date as month_start,
        measure.name as measure,
        measure.mart_value,
        measure.fact_value
    from customer_sums as customers
    cross join order_sums as orders
    cross join lateral (
        values
        ('order_count', customers.order_count::numeric, orders.order_count::numeric),
        ('total_sales', customers.total_sales::numeric, orders.total_sales::numeric)
    ) as measure (name, mart_value, fact_value)

)

select * from compared
where mart_value is distinct from fact_value
union all
select * from customer_totals
where mart_value is distinct from fact_value
