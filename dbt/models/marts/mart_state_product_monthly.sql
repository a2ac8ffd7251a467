{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_incremental_periods('month_start', 'month') }}",
    )
}}
-- Sales per month, customer state and product. Incremental: a window run rebuilds the months it touches.
with

order_items as (

    select * from {{ ref('fct_order_items') }}
    where {{ incremental_periods_filter('order_date', 'month') }}

),

products as (

    select
        product_id,
        product_name
    from {{ ref('dim_products') }}

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
        product_id,
        min(category) as category,
        count(distinct order_id) as order_count,
        sum(quantity)::bigint as total_quantity,
        sum(line_revenue)::numeric(16, 2) as total_sales
    from order_items
    group by month_start, state_code, product_id

)

select
    monthly.month_start,
    monthly.state_code,
    states.state_name,
    monthly.product_id,
    products.product_name,
    monthly.category,
    monthly.order_count,
    monthly.total_quantity,
    monthly.total_sales
from monthly
left join states on monthly.state_code = states.state_code
left join products on monthly.product_id = products.product_id
