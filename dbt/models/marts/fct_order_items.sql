{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['order_id', 'line_number'],
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_window_rows('ordered_at') }}",
        indexes=[
            {'columns': ['ordered_at']},
            {'columns': ['order_date']},
            {'columns': ['product_id', 'ordered_at']},
            {'columns': ['customer_id']},
            {'columns': ['_loaded_at']},
        ],
    )
}}
-- One row per order line: the grain every sales mart aggregates from. Incremental by load window on
-- ordered_at (see macros/incremental_window.sql).
with

order_items as (

    select * from {{ ref('int_order_items__enriched') }}
    where {{ incremental_rows_filter('ordered_at') }}

)

select
    order_id,
    line_number,
    product_id,
    customer_id,
    store_id,
    customer_state as state_code,
    category,
    subcategory,
    ordered_at,
    order_date,
    order_month_start as month_start,
    quantity,
    unit_price,
    line_revenue,
    price_in_force,
    is_on_promotion,
    customer_order_number,
    is_returning_customer,
    _loaded_at
from order_items
