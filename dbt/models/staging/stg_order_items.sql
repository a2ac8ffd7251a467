-- One row per order line (order_id, line_number), typed and deduplicated.
with

source as (

    {{ latest_version(source('raw', 'order_items'), ['order_id', 'line_number']) }}

),

renamed as (

    select
        ---------- ids
        order_id::text as order_id,
        line_number::integer as line_number,
        product_id::text as product_id,

        ---------- numerics
        quantity::integer as quantity,
        unit_price::numeric(12, 2) as unit_price,
        line_revenue::numeric(14, 2) as line_revenue,

        ---------- timestamps
        ordered_at::timestamptz as ordered_at,

        ---------- load metadata
        _source_id::text as _source_id,
        _loaded_at::timestamptz as _loaded_at

    from source

)

select * from renamed
