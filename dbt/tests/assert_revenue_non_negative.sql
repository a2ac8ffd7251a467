{{ config(meta={'dagster': {'ref': {'name': 'fct_order_items'}}}) }}
-- (meta.dagster.ref: the asset Dagster reports this check on, as the test reads several models)
-- Revenue is never negative: no order line with a negative price or revenue or a quantity below 1, and no
-- order with a negative revenue. Returns the offending rows.
select
    'fct_order_items' as relation,
    order_id,
    line_number,
    quantity,
    unit_price,
    line_revenue as revenue
from {{ ref('fct_order_items') }}
where line_revenue < 0 or unit_price < 0 or quantity < 1

union all

select
    'fct_orders' as relation,
    order_id,
    null as line_number,
    total_quantity as quantity,
    null as unit_price,
    order_revenue as revenue
from {{ ref('fct_orders') }}
where order_revenue < 0
