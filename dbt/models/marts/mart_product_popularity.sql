{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_incremental_periods('period_start', grain_column='period_grain', grains={'day': 'day', 'month': 'month'}) }}",
    )
}}
-- Product popularity per day and per month: orders, units and sales of every product sold in the period,
-- ranked overall and within its category. Ranks are row_number()s: by the metric desc, then the other
-- metric desc, then product_id asc, so every rank is unique within its period (and category).
-- Incremental: a window run rebuilds the days and the months the window touches.
with

daily_sales as (

    select * from {{ ref('mart_product_sales_daily') }}
    where {{ incremental_periods_filter('order_date', 'month') }}

),

by_day as (

    select
        'day' as period_grain,
        order_date as period_start,
        product_id,
        min(product_name) as product_name,
        min(category) as category,
        sum(order_count) as order_count,
        sum(total_quantity) as total_quantity,
        sum(total_sales) as total_sales
    from daily_sales
    where {{ incremental_periods_filter('order_date', 'day') }}
    group by order_date, product_id

),

by_month as (

    select
        'month' as period_grain,
        month_start as period_start,
        product_id,
        min(product_name) as product_name,
        min(category) as category,
        sum(order_count) as order_count,
        sum(total_quantity) as total_quantity,
        sum(total_sales) as total_sales
    from daily_sales
    group by month_start, product_id

),

periods as (

    select * from by_day
    union all
    select * from by_month

)

select
    period_grain,
    period_start,
    product_id,
    product_name,
    category,
    order_count::bigint as order_count,
    total_quantity::bigint as total_quantity,
    total_sales::numeric(16, 2) as total_sales,
    row_number() over (
        partition by period_grain, period_start
        order by order_count desc, total_sales desc, product_id asc
    )::integer as rank_by_orders,
    row_number() over (
        partition by period_grain, period_start
        order by total_sales desc, order_count desc, product_id asc
    )::integer as rank_by_sales,
    row_number() over (
        partition by period_grain, period_start, category
        order by order_count desc, total_sales desc, product_id asc
    )::integer as category_rank_by_orders,
    row_number() over (
        partition by period_grain, period_start, category
        order by total_sales desc, order_count desc, product_id asc
    )::integer as category_rank_by_sales
from periods
