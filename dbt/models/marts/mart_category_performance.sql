-- Sales per month and category, the category's share of the month's sales and its change against the
-- previous calendar month. Built from mart_state_sales_monthly (an order has one customer, hence one
-- state, so order counts add up across states): a few hundred rows per month, cheap to rebuild whole.
with

state_sales as (

    select * from {{ ref('mart_state_sales_monthly') }}

),

monthly as (

    select
        month_start,
        category,
        sum(order_count) as order_count,
        sum(total_quantity) as total_quantity,
        sum(total_sales) as total_sales
    from state_sales
    group by month_start, category

),

with_context as (

    select
        monthly.*,
        sum(monthly.total_sales) over (partition by monthly.month_start) as month_sales,
        prior_month.total_sales as prior_month_sales
    from monthly
    left join monthly as prior_month
        on
            monthly.category = prior_month.category
            and prior_month.month_start = (monthly.month_start - interval '1 month')::date

)

select
    month_start,
    category,
    order_count::bigint as order_count,
    total_quantity::bigint as total_quantity,
    total_sales::numeric(16, 2) as total_sales,
    round(total_sales / nullif(month_sales, 0), 6)::numeric(9, 6) as sales_share,
    round(total_sales / nullif(prior_month_sales, 0) - 1, 6)::numeric(12, 6) as sales_change_vs_prior_month
from with_context
