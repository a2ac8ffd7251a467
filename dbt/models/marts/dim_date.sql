-- One row per UTC calendar day from the first to the last order date.
with

bounds as (

    select
        min(order_date) as first_day,
        max(order_date) as last_day
    from {{ ref('fct_orders') }}

),

days as (

    {{ date_spine('(select first_day from bounds)', '(select last_day from bounds)') }}

)

select
    date_day,
    extract(year from date_day)::integer as year,
    extract(month from date_day)::integer as month,
    date_trunc('month', date_day)::date as month_start,
    trim(to_char(date_day, 'Month')) as month_name,
    extract(quarter from date_day)::integer as quarter,
    date_trunc('year', date_day)::date as year_start,
    date_trunc('week', date_day)::date as week_start,
    extract(isodow from date_day)::integer as day_of_week,
    trim(to_char(date_day, 'Day')) as day_name,
    extract(day from date_day)::integer as day_of_month,
    extract(isodow from date_day) in (6, 7) as is_weekend
from days
