-- Monthly units of every product and every category against their trailing baseline (the average of the
-- `spike_baseline_months` calendar months before, months without sales counting as zero). A month is a
-- spike when its units exceed `spike_ratio` times the baseline and reach the grain's minimum
-- (`spike_min_quantity_product` / `spike_min_quantity_category`). The baseline is only defined when all
-- its months lie entirely inside the loaded history, so a partial first month never fakes a spike.
-- One row per subject and month with sales.
{%- set baseline_months = var('spike_baseline_months') | int %}
with

history as (

    select
        min(order_date) as first_day,
        max(order_date) as last_day
    from {{ ref('fct_orders') }}

),

months as (

    {{ month_spine('(select first_day from history)', '(select last_day from history)') }}

),

products as (

    select
        product_id,
        product_name,
        category
    from {{ ref('dim_products') }}

),

product_sales as (

    select
        period_start as month_start,
        product_id,
        total_quantity
    from {{ ref('mart_product_popularity') }}
    where period_grain = 'month'

),

category_sales as (

    select
        month_start,
        category,
        total_quantity
    from {{ ref('mart_category_performance') }}

),

grid as (

    select
        'product' as grain,
        products.product_id as subject_id,
        products.product_name as subject_name,
        products.category,
        months.month_start,
        coalesce(product_sales.total_quantity, 0) as total_quantity
    from products
    cross join months
    left join product_sales
        on
            products.product_id = product_sales.product_id
            and months.month_start = product_sales.month_start

    union all

    select
        'category' as grain,
        categories.category as subject_id,
        categories.category as subject_name,
        categories.category,
        months.month_start,
        coalesce(category_sales.total_quantity, 0) as total_quantity
    from (select distinct category from products) as categories
    cross join months
    left join category_sales
        on
            categories.category = category_sales.category
            and months.month_start = category_sales.month_start

),

baselines as (

    select
        grid.*,
        case
            when
                (grid.month_start - interval '{{ baseline_months }} months')::date
                >= (select history.first_day from history)
                then avg(grid.total_quantity) over (
                    partition by grid.grain, grid.subject_id
                    order by grid.month_start
                    rows between {{ baseline_months }} preceding and 1 preceding
                )
        end as trailing_baseline
    from grid

)

select
    grain,
    subject_id,
    subject_name,
    category,
    month_start,
    total_quantity::bigint as total_quantity,
    round(trailing_baseline, 4)::numeric(14, 4) as trailing_baseline,
    round(total_quantity / nullif(trailing_baseline, 0), 4)::numeric(12, 4) as spike_ratio,
    coalesce(
        total_quantity > {{ var('spike_ratio') }} * trailing_baseline
        and total_quantity >= case
            when grain = 'product' then {{ var('spike_min_quantity_product') | int }}
            else {{ var('spike_min_quantity_category') | int }}
        end,
        false
    ) as is_spike
from baselines
where total_quantity > 0
