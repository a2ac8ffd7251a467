{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_incremental_periods('month_start', 'month') }}",
    )
}}
-- Sales per month, customer state and category; order_count counts each order once per category even
-- when it holds several products of it. Incremental: a window run rebuilds the months it touches.
with

order_items as (

    select * from {{ ref('fct_order_items') }}
    where {{ incremental_periods_filter('order_date', 'month') }}

),

states as (

    select
        state_code,
        state_name
    from {{ ref('dim_states') }}

),

monthly as (

    select
        month_start,
        state_code,
        category,
        count(distinct order_id) as order_count,
        sum(quantity)::bigint as total_quantity,
        sum(line_revenue)::numeric(16, 2) as total_sales
    from order_items
    group by month_start, state_code, category

)

select
    monthly.month_start,
    monthly.state_code,
    states.state_name,
    monthly.category,
    monthly.order_count,
    monthly.total_quantity,
    monthly.total_sales
from monthly
left join states on monthly.state_code = states.state_code
