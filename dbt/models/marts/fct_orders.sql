{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='order_id',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_window_rows('ordered_at') }}",
        indexes=[
            {'columns': ['ordered_at']},
            {'columns': ['order_date']},
            {'columns': ['customer_id']},
            {'columns': ['_loaded_at']},
        ],
    )
}}
-- One row per order, with its line totals from fct_order_items. Incremental by load window on
-- ordered_at (see macros/incremental_window.sql).
with

orders as (

    select * from {{ ref('int_orders__sequenced') }}
    where {{ incremental_rows_filter('ordered_at') }}

),

stores as (

    select
        store_id,
        store_kind
    from {{ ref('stg_stores') }}

),

order_lines as (

    select
        order_id,
        count(*) as line_count,
        sum(quantity) as total_quantity,
        sum(line_revenue) as order_revenue
    from {{ ref('fct_order_items') }}
    where order_id in (select orders.order_id from orders)
    group by order_id

)

select
    orders.order_id,
    orders.customer_id,
    orders.store_id,
    stores.store_kind,
    orders.customer_state as state_code,
    orders.order_status,
    orders.ordered_at,
    {{ utc_date('orders.ordered_at') }} as order_date,
    {{ utc_month_start('orders.ordered_at') }} as month_start,
    coalesce(order_lines.line_count, 0)::integer as line_count,
    coalesce(order_lines.total_quantity, 0)::integer as total_quantity,
    coalesce(order_lines.order_revenue, 0)::numeric(14, 2) as order_revenue,
    orders.order_total as reported_order_total,
    orders.customer_order_number,
    orders.is_first_order,
    orders.is_returning_customer,
    orders.previous_ordered_at,
    orders._loaded_at
from orders
left join order_lines on orders.order_id = order_lines.order_id
left join stores on orders.store_id = stores.store_id
