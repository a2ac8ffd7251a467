-- Every order line's revenue, as recorded by the ETL, equals unit_price x quantity to the cent. Checked on
-- the staging view, i.e. on every raw line before anything aggregates it (fct_order_items carries
-- line_revenue unchanged); a failure stops the models downstream. Returns the offending lines.
select
    order_id,
    line_number,
    quantity,
    unit_price,
    line_revenue,
    unit_price * quantity as expected_line_revenue
from {{ ref('stg_order_items') }}
where line_revenue is distinct from unit_price * quantity
