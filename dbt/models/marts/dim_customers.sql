{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='customer_id',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['_loaded_at']},
            {'columns': ['last_order_at']},
        ],
    )
}}
-- One row per customer: location (no personal data) and order history totals from fct_orders.
-- Incremental: a window run recomputes only the customers created in the window or ordering in it (before
-- or after the window's reload).
with

customers as (

    select * from {{ ref('stg_customers') }}
    {% if incremental_on_existing_rows() %}
    {%- set window = load_window() %}
    where
        customer_id in (
            select window_orders.customer_id from {{ ref('fct_orders') }} as window_orders
            where {{ incremental_rows_filter('ordered_at') }}
            union
            select window_customers.customer_id from {{ ref('stg_customers') }} as window_customers
            where {{ incremental_rows_filter('created_at') }}
            {%- if window is not none %}
            union
            -- customers who had orders in the window: some may have vanished when the ETL reloaded it
            select modelled.customer_id from {{ this }} as modelled
            where modelled.last_order_at >= {{ window.start }} and modelled.first_order_at < {{ window.end }}
            {%- endif %}
        )
    {% endif %}

),

order_totals as (

    select
        customer_id,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        count(*) as order_count,
        sum(order_revenue) as lifetime_revenue,
        max(_loaded_at) as last_order_loaded_at
    from {{ ref('fct_orders') }}
    {% if incremental_on_existing_rows() %}
    where customer_id in (select customers.customer_id from customers)
    {% endif %}
    group by customer_id

)

select
    customers.customer_id,
    customers.state_code,
    customers.city,
    customers.created_at,
    order_totals.first_order_at,
    order_totals.last_order_at,
    coalesce(order_totals.order_count, 0)::integer as order_count,
    coalesce(order_totals.lifetime_revenue, 0)::numeric(16, 2) as lifetime_revenue,
    greatest(customers._loaded_at, order_totals.last_order_loaded_at) as _loaded_at
from customers
left join order_totals on customers.customer_id = order_totals.customer_id
