-- One row per product: the catalog as last loaded, typed and deduplicated.
with

source as (

    {{ latest_version(source('raw', 'products'), ['product_id']) }}

),

renamed as (

    select
        ---------- ids
        product_id::text as product_id,
        sku::text as sku,

        ---------- text
        name::text as product_name,
        category::text as category,
        coalesce(subcategory, 'Unknown')::text as subcategory,
        coalesce(brand, 'Unknown')::text as brand,

        ---------- numerics
        base_price::numeric(12, 2) as base_price,
        price::numeric(12, 2) as price,
        initial_stock::integer as initial_stock,
        stock::integer as stock,
        reorder_point::integer as reorder_point,

        ---------- booleans
        price < base_price as is_below_base_price,
        stock <= 0 as is_out_of_stock,
        stock <= reorder_point as is_below_reorder_point,

        ---------- timestamps
        launched_at::timestamptz as launched_at,
        updated_at::timestamptz as updated_at,

        ---------- load metadata
        _source_id::text as _source_id,
        _loaded_at::timestamptz as _loaded_at

    from source

)

select * from renamed
