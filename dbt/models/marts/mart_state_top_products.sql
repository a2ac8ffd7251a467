{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_incremental_periods('period_start', grain_column='period_grain', grains={'month': 'month', 'all': none}) }}",
    )
}}
-- The most popular product of every customer state, per month and over all months, by units sold and by
-- sales. Ties: the other metric desc, then product_id asc, so there is exactly one product per
-- (period_grain, period_start, state_code, ranking_metric). For period_grain 'all' the period starts at
-- the first month with orders. Built from mart_state_product_monthly. Incremental: a window run rebuilds the
-- months it touches, and the all-months leaders, which any window can change.
with

monthly as (

    select * from {{ ref('mart_state_product_monthly') }}

),

touched_months as (

    select * from monthly
    where {{ incremental_periods_filter('month_start', 'month') }}

),

-- ranked on the keys and the two metrics only; names are joined to the leaders
by_period as (

    select
        'month' as period_grain,
        month_start as period_start,
        state_code,
        product_id,
        order_count,
        total_quantity,
        total_sales
    from touched_months

    union all

    select
        'all' as period_grain,
        (select min(all_months.month_start) as first_month from monthly as all_months) as period_start,
        state_code,
        product_id,
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

),

states as (

    select
        state_code,
        state_name
    from {{ ref('dim_states') }}

),

products as (

    select
        product_id,
        product_name,
        category
    from {{ ref('dim_products') }}

)

select
    leaders.period_grain,
    leaders.period_start,
    leaders.state_code,
    states.state_name,
    leaders.ranking_metric,
    leaders.product_id,
    products.product_name,
    products.category,
    leaders.order_count::bigint as order_count,
    leaders.total_quantity::bigint as total_quantity,
    leaders.total_sales::numeric(16, 2) as total_sales
from leaders
left join states on leaders.state_code = states.state_code
left join products on leaders.product_id = products.product_id
