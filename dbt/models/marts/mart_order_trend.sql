{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_incremental_periods('order_date', 'day') }}",
    )
}}
-- Orders per UTC day and store, split by new and returning customers. Every measure is additive, so
-- weekly, monthly and yearly trends are sums of these rows. Incremental: a window run rebuilds the days
-- the window touches.
with

orders as (

    select * from {{ ref('fct_orders') }}
    where {{ incremental_periods_filter('order_date', 'day') }}

)

select
    order_date,
    date_trunc('month', order_date)::date as month_start,
    store_id,
    min(store_kind) as store_kind,
    count(*) as order_count,
    sum(total_quantity)::bigint as total_quantity,
    sum(order_revenue)::numeric(16, 2) as total_sales,
    count(*) filter (where not is_returning_customer) as new_customer_orders,
    count(*) filter (where is_returning_customer) as returning_customer_orders
from orders
group by order_date, store_id
