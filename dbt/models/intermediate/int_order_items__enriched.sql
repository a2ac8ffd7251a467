{{ config(materialized='ephemeral') }}
-- Order lines with everything the marts slice by: product and category, the customer's state and order
-- sequence, the store or branch, and the UTC calendar of the order. Money as recorded by the ETL.
-- Ephemeral: inlined into fct_order_items, whose filter on ordered_at reaches the raw table's index (and no
-- view is left depending on the tables dbt swaps on every run).
with

order_items as (

    select * from {{ ref('int_order_items__priced') }}

),

orders as (

    select * from {{ ref('int_orders__sequenced') }}

),

products as (

    select * from {{ ref('stg_products') }}

),

stores as (

    select * from {{ ref('stg_stores') }}

),

enriched as (

    select
        ---------- ids
        order_items.order_id || '-' || order_items.line_number as order_line_id,
        order_items.order_id,
        order_items.line_number,
        order_items.product_id,
        orders.customer_id,
        orders.store_id,

        ---------- product
        products.product_name,
        products.category,
        products.subcategory,
        products.brand,

        ---------- customer and store
        orders.customer_state,
        stores.store_name,
        stores.store_kind,
        stores.state_code as store_state,
        orders.customer_order_number,
        orders.is_first_order,
        orders.is_returning_customer,

        ---------- calendar (UTC)
        order_items.ordered_at,
        {{ utc_date('order_items.ordered_at') }} as order_date,
        {{ utc_part('year', 'order_items.ordered_at') }} as order_year,
        {{ utc_part('month', 'order_items.ordered_at') }} as order_month,
        {{ utc_month_start('order_items.ordered_at') }} as order_month_start,
        {{ utc_part('isodow', 'order_items.ordered_at') }} as order_weekday,
        trim(to_char(order_items.ordered_at at time zone 'UTC', 'Day')) as order_weekday_name,
        {{ utc_part('hour', 'order_items.ordered_at') }} as order_hour,

        ---------- measures
        order_items.quantity,
        order_items.unit_price,
        order_items.line_revenue,
        order_items.price_in_force,
        order_items.is_unit_price_in_force,
        order_items.is_on_promotion,

        ---------- load metadata
        order_items._loaded_at

    from order_items
    left join orders on order_items.order_id = orders.order_id
    left join products on order_items.product_id = products.product_id
    left join stores on orders.store_id = stores.store_id

)

select * from enriched
