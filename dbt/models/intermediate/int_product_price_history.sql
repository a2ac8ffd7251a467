{{
    config(
        materialized='table',
        indexes=[
            {'columns': ['product_id', 'valid_from']},
        ],
    )
}}
-- Price history per product from the price events: one row per price period [valid_from, valid_to).
-- Period 0 is the price before the first recorded change (the first event's old price, or the catalog
-- price when no change was recorded) and is open towards the past; period n starts at the n-th change.
-- When the loaded history starts after some changes, period 0 is promotional if the first loaded change
-- ends a promotion, and a product without any loaded change keeps the catalog price.
-- This is the history used to price order lines and to measure price sensitivity; the snapshot
-- snap_product_prices only records the prices dbt saw when it ran. A table: a few rows per product and
-- year, read by range lookups on (product_id, valid_from).
with

products as (

    select
        product_id,
        price
    from {{ ref('stg_products') }}

),

events as (

    select
        price_event_id,
        product_id,
        change_kind,
        old_price,
        new_price,
        effective_at,
        row_number() over (partition by product_id order by effective_at, price_event_id) as price_seq
    from {{ ref('stg_price_events') }}

),

initial_periods as (

    select
        products.product_id,
        0::bigint as price_seq,
        null::text as price_event_id,
        'initial' as change_kind,
        coalesce(first_event.old_price, products.price) as price,
        null::numeric(12, 2) as previous_price,
        coalesce(first_event.change_kind = 'promotion_end', false) as is_promotional,
        '-infinity'::timestamptz as valid_from
    from products
    left join events as first_event
        on
            products.product_id = first_event.product_id
            and first_event.price_seq = 1

),

change_periods as (

    select
        product_id,
        price_seq,
        price_event_id,
        change_kind,
        new_price as price,
        old_price as previous_price,
        -- promotional from a promotion start until the next event
        change_kind = 'promotion_start' as is_promotional,
        effective_at as valid_from
    from events

),

periods as (

    select * from initial_periods
    union all
    select * from change_periods

),

final as (

    select
        product_id || ':' || price_seq as price_period_id,
        product_id,
        price_seq::integer as price_seq,
        price_event_id,
        change_kind,
        price::numeric(12, 2) as price,
        previous_price::numeric(12, 2) as previous_price,
        is_promotional,
        valid_from,
        coalesce(
            lead(valid_from) over (partition by product_id order by price_seq),
            'infinity'::timestamptz
        ) as valid_to,
        lead(valid_from) over (partition by product_id order by price_seq) is null as is_current
    from periods

)

select * from final
