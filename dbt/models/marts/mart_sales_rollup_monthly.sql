{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_incremental_periods('month_start', 'month') }}",
        indexes=[{'columns': ['rollup_grain', 'month_start']}],
    )
}}
-- Orders, units and sales per month at every grain the dashboard filters by, each computed from the order
-- lines at that grain: the 'all categories' rows count each order once, however many categories it spans.
-- Orders are additive across months, stores and states (an order has one of each) and across nothing
-- else, so a reader may sum these rows over months, stores or states of one rollup_grain, never over
-- categories. Incremental: a window run rebuilds the months it touches.
with

order_items as (

    select * from {{ ref('fct_order_items') }}
    where {{ incremental_periods_filter('order_date', 'month') }}

),

rolled_up as (

    select
        month_start,
        store_id,
        state_code,
        category,
        grouping(store_id) as is_all_stores,
        grouping(state_code) as is_all_states,
        grouping(category) as is_all_categories,
        count(distinct order_id) as order_count,
        count(distinct customer_id) as customer_count,
        sum(quantity)::bigint as total_quantity,
        sum(line_revenue)::numeric(16, 2) as total_sales
    from order_items
    group by grouping sets (
        (month_start, store_id, category),
        (month_start, store_id),
        (month_start, state_code, category),
        (month_start, state_code)
    )

)

select
    case
        when rolled_up.is_all_states = 1 and rolled_up.is_all_categories = 1 then 'store'
        when rolled_up.is_all_states = 1 then 'store_category'
        when rolled_up.is_all_categories = 1 then 'state'
        else 'state_category'
    end::text as rollup_grain,
    rolled_up.month_start,
    rolled_up.store_id,
    rolled_up.state_code,
    rolled_up.category,
    rolled_up.order_count,
    rolled_up.customer_count,
    rolled_up.total_quantity,
    rolled_up.total_sales
from rolled_up
