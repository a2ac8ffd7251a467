{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_incremental_periods('order_date', 'day') }}",
    )
}}
-- Sales per UTC day, product and store. Incremental: a window run rebuilds the days the window touches.
with

order_items as (

    select * from {{ ref('fct_order_items') }}
    where {{ incremental_periods_filter('order_date', 'day') }}

),

products as (

    select
        product_id,
        product_name
    from {{ ref('dim_products') }}

),

stores as (

    select
        store_id,
        store_name,
        store_kind
    from {{ ref('dim_stores') }}

),

daily as (

    select
        order_date,
        product_id,
        store_id,
        min(category) as category,
        count(distinct order_id) as order_count,
        sum(quantity)::bigint as total_quantity,
        sum(line_revenue)::numeric(16, 2) as total_sales
    from order_items
    group by order_date, product_id, store_id

)

select
    daily.order_date,
    extract(year from daily.order_date)::integer as year,
    extract(month from daily.order_date)::integer as month,
    date_trunc('month', daily.order_date)::date as month_start,
    daily.product_id,
    products.product_name,
    daily.category,
    daily.store_id,
    stores.store_name,
    stores.store_kind,
    daily.order_count,
    daily.total_quantity,
    daily.total_sales
from daily
left join products on daily.product_id = products.product_id
left join stores on daily.store_id = stores.store_id
