-- One row per order header, typed and deduplicated.
with

source as (

    {{ latest_version(source('raw', 'orders'), ['order_id']) }}

),

renamed as (

    select
        ---------- ids
        order_id::text as order_id,
        customer_id::text as customer_id,
        store_id::text as store_id,

        ---------- text
        lower(coalesce(status, 'placed'))::text as order_status,
        upper(coalesce(currency, 'USD'))::text as currency,

        ---------- numerics
        order_total::numeric(12, 2) as order_total,
        line_count::integer as line_count,

        ---------- timestamps
        ordered_at::timestamptz as ordered_at,

        ---------- load metadata
        _source_id::text as _source_id,
        _loaded_at::timestamptz as _loaded_at

    from source

)

select * from renamed
