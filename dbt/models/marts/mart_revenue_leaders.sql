-- The top `revenue_leaders_top_n` products by sales per month and per year. Ties: order count desc,
-- then product_id asc. Built from the monthly rows of mart_product_popularity (one row per product sold
-- in a month), cheap to rebuild whole.
with

monthly as (

    select * from {{ ref('mart_product_popularity') }}
    where period_grain = 'month'

),

by_period as (

    select
        'month' as period_grain,
        period_start,
        product_id,
        product_name,
        category,
        total_sales,
        order_count,
        total_quantity
    from monthly

    union all

    select
        'year' as period_grain,
        date_trunc('year', period_start)::date as period_start,
        product_id,
        min(product_name) as product_name,
        min(category) as category,
        sum(total_sales) as total_sales,
        sum(order_count) as order_count,
        sum(total_quantity) as total_quantity
    from monthly
    group by date_trunc('year', period_start)::date, product_id

),

ranked as (

    select
        *,
        row_number() over (
            partition by period_grain, period_start
            order by total_sales desc, order_count desc, product_id asc
        ) as leader_rank
    from by_period

)

select
    period_grain,
    period_start,
    leader_rank::integer as leader_rank,
    product_id,
    product_name,
    category,
    total_sales::numeric(16, 2) as total_sales,
    order_count::bigint as order_count,
    total_quantity::bigint as total_quantity
from ranked
where leader_rank <= {{ var('revenue_leaders_top_n') | int }}
