-- One row per product of the catalog, with its current price as last loaded.
with

products as (

    select * from {{ ref('stg_products') }}

)

select
    product_id,
    sku,
    product_name,
    category,
    subcategory,
    brand,
    base_price,
    price as current_price,
    is_below_base_price,
    stock,
    is_out_of_stock,
    launched_at,
    updated_at
from products
