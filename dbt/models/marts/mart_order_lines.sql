{{ config(materialized='view') }}
-- One row per order line with the names a Tableau sheet shows, for the extracts: every measure of it adds
-- up (units, sales), and distinct counts (orders, customers) are COUNTD calculations in the .tds, so
-- Tableau's default aggregation gives the right total at any grain. A view: nothing is stored twice.
with

order_items as (

    select * from {{ ref('fct_order_items') }}

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

states as (

    select
        state_code,
        state_name
    from {{ ref('dim_states') }}

)

select
    order_items.order_id,
    order_items.line_number,
    order_items.order_date,
    order_items.month_start,
    order_items.product_id,
    products.product_name,
    order_items.category,
    order_items.store_id,
    stores.store_name,
    stores.store_kind,
    order_items.state_code,
    states.state_name,
    order_items.customer_id,
    order_items.is_returning_customer,
    order_items.quantity,
    order_items.unit_price,
    order_items.line_revenue
from order_items
left join products on order_items.product_id = products.product_id
left join stores on order_items.store_id = stores.store_id
left join states on order_items.state_code = states.state_code
