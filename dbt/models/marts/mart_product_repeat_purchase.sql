{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='product_id',
        on_schema_change='append_new_columns',
    )
}}
-- Repeat purchasing per product over the whole history: how many customers bought the product, how many
-- of them bought it again in another order, and how its orders split between new and returning customers.
-- Incremental: a window run rebuilds the products sold in the window, from all of their order lines.
with

order_items as (

    select
        product_id,
        customer_id,
        order_id,
        is_returning_customer
    from {{ ref('fct_order_items') }}
    where {{ incremental_keys_filter('product_id', ref('fct_order_items'), 'ordered_at') }}

),

products as (

    select
        product_id,
        product_name,
        category
    from {{ ref('dim_products') }}

),

customer_orders as (

    select
        product_id,
        customer_id,
        count(distinct order_id) as order_count
    from order_items
    group by product_id, customer_id

),

customer_totals as (

    select
        product_id,
        count(*) as customers,
        count(*) filter (where order_count >= 2) as repeat_customers
    from customer_orders
    group by product_id

),

order_totals as (

    select
        product_id,
        count(distinct order_id) as order_count,
        count(distinct order_id) filter (where not is_returning_customer) as orders_from_new_customers,
        count(distinct order_id) filter (where is_returning_customer) as orders_from_returning_customers
    from order_items
    group by product_id

)

select
    customer_totals.product_id,
    products.product_name,
    products.category,
    order_totals.order_count::bigint as order_count,
    customer_totals.customers::bigint as customers,
    customer_totals.repeat_customers::bigint as repeat_customers,
    round(customer_totals.repeat_customers::numeric / customer_totals.customers, 6)::numeric(9, 6)
        as repeat_purchase_rate,
    order_totals.orders_from_new_customers::bigint as orders_from_new_customers,
    order_totals.orders_from_returning_customers::bigint as orders_from_returning_customers,
    round(
        order_totals.orders_from_returning_customers::numeric
        / nullif(order_totals.orders_from_new_customers + order_totals.orders_from_returning_customers, 0),
        6
    )::numeric(9, 6) as returning_share
from customer_totals
inner join order_totals on customer_totals.product_id = order_totals.product_id
left join products on customer_totals.product_id = products.product_id
