-- How concentrated sales are: the share of gross sales that the top 5% of customers (by their sales in the
-- period) account for, per month, per year and over all time. Customers are not additive across periods,
-- so each period is ranked on its own; the top group is ceil(5% of the customers who ordered), ties broken
-- by customer_id (ties at the boundary have equal sales, so the share does not depend on the break).
with

order_items as (

    select * from {{ ref('fct_order_items') }}

),

first_month as (

    select min(month_start) as month_start from order_items

),

customer_periods as (

    select
        case
            when grouping(order_items.month_start) = 0 then 'month'
            when grouping(order_items.year_start) = 0 then 'year'
            else 'all'
        end as period_grain,
        coalesce(order_items.month_start, order_items.year_start, max(first_month.month_start)) as period_start,
        order_items.customer_id,
        sum(order_items.line_revenue)::numeric(16, 2) as customer_sales
    from (
        select
            customer_id,
            month_start,
            date_trunc('year', month_start)::date as year_start,
            line_revenue
        from order_items
    ) as order_items
    cross join first_month
    group by grouping sets (
        (order_items.month_start, order_items.customer_id),
        (order_items.year_start, order_items.customer_id),
        (order_items.customer_id)
    )

),

ranked as (

    select
        period_grain,
        period_start,
        customer_id,
        customer_sales,
        row_number() over (
            partition by period_grain, period_start order by customer_sales desc, customer_id asc
        ) as sales_rank,
        count(*) over (partition by period_grain, period_start) as customers
    from customer_periods

)

select
    period_grain::text as period_grain,
    period_start::date as period_start,
    max(customers)::bigint as customers,
    ceil(0.05 * max(customers))::bigint as top_customers,
    sum(customer_sales)::numeric(16, 2) as total_sales,
    (sum(customer_sales) filter (where sales_rank <= ceil(0.05 * customers)))::numeric(16, 2) as top_customer_sales,
    round(
        sum(customer_sales) filter (where sales_rank <= ceil(0.05 * customers)) / nullif(sum(customer_sales), 0), 6
    )::numeric(8, 6) as top_customer_share
from ranked
group by period_grain, period_start
