{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='order_id',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_window_rows('ordered_at') }}",
        indexes=[
            {'columns': ['order_id'], 'unique': true},
            {'columns': ['customer_id', 'ordered_at']},
            {'columns': ['ordered_at']},
            {'columns': ['_loaded_at']},
        ],
    )
}}
-- Orders with each customer's order sequence. `is_returning_customer` is true when the customer has an
-- earlier order, or when the customer's account predates the ETL load window of the order (so a customer
-- whose earlier orders lie before the loaded history still counts as returning).
--
-- Incremental: only the batch's orders (the load window, or the latest loads) are read; the number of
-- earlier orders of their customers comes from this table itself (index on customer_id, ordered_at), so
-- a window costs the same whatever the length of the history. Orders placed after the batch keep their
-- numbers: rebuild windows in time order, or --full-refresh after loading an older window late.
with

orders as (

    select * from {{ ref('stg_orders') }}
    where {{ incremental_rows_filter('ordered_at') }}

),

customers as (

    select
        customer_id,
        created_at,
        state_code
    from {{ ref('stg_customers') }}

),

{% if incremental_on_existing_rows() %}
earlier_orders as (

    -- orders already modelled outside the batch that precede a batch order of the same customer
    select
        orders.order_id,
        count(*) as earlier_order_count,
        max(modelled.ordered_at) as last_earlier_ordered_at
    from orders
    inner join {{ this }} as modelled
        on
            orders.customer_id = modelled.customer_id
            and (modelled.ordered_at, modelled.order_id) < (orders.ordered_at, orders.order_id)
    where
        not exists (
            select batch.order_id from orders as batch
            where batch.order_id = modelled.order_id
        )
    group by orders.order_id

),
{% else %}
earlier_orders as (

    select
        null::text as order_id,
        0::bigint as earlier_order_count,
        null::timestamptz as last_earlier_ordered_at
    where false

),
{% endif %}

sequenced as (

    select
        orders.*,
        customers.state_code as customer_state,
        customers.created_at as customer_created_at,
        (
            coalesce(earlier_orders.earlier_order_count, 0)
            + row_number() over (partition by orders.customer_id order by orders.ordered_at, orders.order_id)
        )::integer as customer_order_number,
        coalesce(
            lag(orders.ordered_at) over (
                partition by orders.customer_id order by orders.ordered_at, orders.order_id
            ),
            earlier_orders.last_earlier_ordered_at
        ) as previous_ordered_at
    from orders
    left join customers on orders.customer_id = customers.customer_id
    left join earlier_orders on orders.order_id = earlier_orders.order_id

),

final as (

    select
        *,
        customer_order_number = 1 as is_first_order,
        coalesce(
            customer_order_number > 1
            or customer_created_at < {{ load_window_start('ordered_at') }},
            false
        ) as is_returning_customer
    from sequenced

)

select
    order_id,
    customer_id,
    store_id,
    order_status,
    currency,
    order_total,
    line_count,
    ordered_at,
    _source_id,
    _loaded_at,
    customer_state,
    customer_created_at,
    customer_order_number,
    previous_ordered_at,
    is_first_order,
    is_returning_customer
from final
