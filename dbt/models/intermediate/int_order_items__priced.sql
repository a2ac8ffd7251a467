{{ config(materialized='ephemeral') }}
-- Order lines with the price in force when they were ordered, looked up in int_product_price_history,
-- and whether the unit price charged matches it. Ephemeral: inlined into fct_order_items, whose filter on
-- ordered_at reaches the raw table's index; each line is priced by one index lookup.
with

order_items as (

    select * from {{ ref('stg_order_items') }}

),

price_history as (

    select * from {{ ref('int_product_price_history') }}

),

priced as (

    select
        order_items.*,
        price_history.price as price_in_force,
        price_history.price_seq as price_period_seq,
        coalesce(price_history.is_promotional, false) as is_on_promotion,
        coalesce(order_items.unit_price = price_history.price, false) as is_unit_price_in_force
    from order_items
    left join price_history
        on
            order_items.product_id = price_history.product_id
            and order_items.ordered_at >= price_history.valid_from
            and order_items.ordered_at < price_history.valid_to

)

select
    order_id,
    line_number,
    product_id,
    quantity,
    unit_price,
    line_revenue,
    ordered_at,
    _source_id,
    _loaded_at,
    price_in_force,
    price_period_seq,
    is_on_promotion,
    is_unit_price_in_force
from priced
