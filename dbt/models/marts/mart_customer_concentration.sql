-- How concentrated sales are: the share of gross sales that the top 5% of customers (by their sales in the
-- period) account for, per month, per year and over all time. Customers are not additive across periods,
-- so each period is ranked on its own; the top group is ceil(5% of the customers who ordered), ties broken
-- by customer_id (ties at the boundary have equal sales, so the share does not depend on the break).
with

orders as (

    select * from {{ ref('fct_orders') }}

),

-- each customer's sales per month first: a third of the rows of the order lines (268k against 833k at a year),
-- which the year and all-time grains then add up
customer_months as (

    select
        customer_id,
        month_start,
        date_trunc('year', month_start)::date as year_start,
        sum(order_revenue) as customer_sales
    from orders
    group by customer_id, month_start

),

first_month as (

    select min(month_start) as month_start from customer_months

),

customer_periods as (

    select
        case
            when grouping(customer_months.month_start) = 0 then 'month'
            when grouping(customer_months.year_start) = 0 then 'year'
            else 'all'
        end as period_grain,
        coalesce(customer_months.month_start, customer_months.year_start, max(first_month.month_start))
            as period_start,
        customer_months.customer_id,
        sum(customer_months.customer_sales)::numeric(16, 2) as customer_sales
    from customer_months
    cross join first_month
    group by grouping sets (
        (customer_months.month_start, customer_months.customer_id),
        (customer_months.year_start, customer_months.customer_id),
        (customer_months.customer_id)
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
