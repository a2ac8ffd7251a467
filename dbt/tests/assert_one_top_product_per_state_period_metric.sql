{{ config(meta={'dagster': {'ref': {'name': 'mart_state_top_products'}}}) }}
-- (meta.dagster.ref: the asset Dagster reports this check on, as the test reads several models)
-- mart_state_top_products holds exactly one #1 product for every state and period with sales (each month,
-- and 'all') and each ranking metric, and that product has the highest units (metric 'quantity') or
-- revenue (metric 'sales') of the state and period in mart_state_product_monthly. Returns the violations.
with

monthly as (

    select * from {{ ref('mart_state_product_monthly') }}

),

top_products as (

    select * from {{ ref('mart_state_top_products') }}

),

per_period as (

    select
        'month' as period_grain,
        month_start as period_start,
        state_code,
        product_id,
        total_quantity,
        total_sales
    from monthly

    union all

    select
        'all' as period_grain,
        (select min(all_months.month_start) as first_month from monthly as all_months) as period_start,
        state_code,
        product_id,
        sum(total_quantity) as total_quantity,
        sum(total_sales) as total_sales
    from monthly
    group by state_code, product_id

),

expected as (

    select
        per_period.period_grain,
        per_period.period_start,
        per_period.state_code,
        metric.ranking_metric,
        max(
            case when metric.ranking_metric = 'quantity' then per_period.total_quantity else per_period.total_sales end
        ) as best_value
    from per_period
    cross join (values ('quantity'), ('sales')) as metric (ranking_metric)
    group by per_period.period_grain, per_period.period_start, per_period.state_code, metric.ranking_metric

),

actual as (

    select
        period_grain,
        period_start,
        state_code,
        ranking_metric,
        count(*) as top_products,
        max(case when ranking_metric = 'quantity' then total_quantity else total_sales end) as top_value
    from top_products
    group by period_grain, period_start, state_code, ranking_metric

)

select
    coalesce(expected.period_grain, actual.period_grain) as period_grain,
    coalesce(expected.period_start, actual.period_start) as period_start,
    coalesce(expected.state_code, actual.state_code) as state_code,
    coalesce(expected.ranking_metric, actual.ranking_metric) as ranking_metric,
    coalesce(actual.top_products, 0) as top_products,
    expected.best_value,
    actual.top_value
from expected
full outer join actual
    on
        expected.period_grain = actual.period_grain
        and expected.period_start = actual.period_start
        and expected.state_code = actual.state_code
        and expected.ranking_metric = actual.ranking_metric
where
    coalesce(actual.top_products, 0) <> 1
    or actual.top_value is distinct from expected.best_value
