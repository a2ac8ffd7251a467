-- The most popular product of every customer state, per month and over all months, by units sold and by
-- sales. Ties: the other metric desc, then product_id asc, so there is exactly one product per
-- (period_grain, period_start, state_code, ranking_metric). For period_grain 'all' the period starts at
-- the first month with orders. Built from mart_state_product_monthly.
with

monthly as (

    select * from {{ ref('mart_state_product_monthly') }}

),

by_period as (

    select
        'month' as period_grain,
        month_start as period_start,
        state_code,
        state_name,
        product_id,
        product_name,
        category,
        order_count,
        total_quantity,
        total_sales
    from monthly

    union all

    select
        'all' as period_grain,
        (select min(all_months.month_start) as first_month from monthly as all_months) as period_start,
        state_code,
        min(state_name) as state_name,
        product_id,
        min(product_name) as product_name,
        min(category) as category,
        sum(order_count) as order_count,
        sum(total_quantity) as total_quantity,
        sum(total_sales) as total_sales
    from monthly
    group by state_code, product_id

),

ranked as (

    select
        *,
        row_number() over (
            partition by period_grain, period_start, state_code
            order by total_quantity desc, total_sales desc, product_id asc
        ) as quantity_rank,
        row_number() over (
            partition by period_grain, period_start, state_code
            order by total_sales desc, total_quantity desc, product_id asc
        ) as sales_rank
    from by_period

),

leaders as (

    select
        'quantity' as ranking_metric,
        *
    from ranked
    where quantity_rank = 1
    union all
    select
        'sales' as ranking_metric,
        *
    from ranked
    where sales_rank = 1

)

select
    period_grain,
    period_start,
    state_code,
    state_name,
    ranking_metric,
    product_id,
    product_name,
    category,
    order_count::bigint as order_count,
    total_quantity::bigint as total_quantity,
    total_sales::numeric(16, 2) as total_sales
from leaders
