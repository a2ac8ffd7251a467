-- One row per price change (promotion start, promotion end, permanent increase), typed and deduplicated.
with

source as (

    {{ latest_version(source('raw', 'price_events'), ['price_event_id']) }}

),

renamed as (

    select
        ---------- ids
        price_event_id::text as price_event_id,
        product_id::text as product_id,

        ---------- text
        lower(kind)::text as change_kind,

        ---------- numerics
        old_price::numeric(12, 2) as old_price,
        new_price::numeric(12, 2) as new_price,
        (new_price - old_price)::numeric(12, 2) as price_change,
        round((new_price - old_price) / nullif(old_price, 0), 4)::numeric(10, 4) as price_change_pct,

        ---------- booleans
        lower(kind) = 'promotion_start' as is_promotion_start,
        new_price < old_price as is_price_decrease,

        ---------- timestamps
        effective_at::timestamptz as effective_at,

        ---------- load metadata
        _source_id::text as _source_id,
        _loaded_at::timestamptz as _loaded_at

    from source

)

select * from renamed
