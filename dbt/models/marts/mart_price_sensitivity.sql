-- Demand around every recorded price change. Each side of a change is a run of whole load windows: before,
-- up to `price_sensitivity_window_days` back, not before the previous change, the product's launch or the
-- first loaded window; after, up to as many days on, not past the next change or the last loaded window.
-- The measure is the product's share of its category's units on each side, so demand swings that move the
-- whole category (season, growth, weekday and hour mix) cancel out:
--     arc_elasticity = ((s_after - s_before) / mean(s_before, s_after))
--                      / ((new_price - old_price) / mean(old_price, new_price)),   s = product units / category units
-- `unadjusted_arc_elasticity` is the same formula on the product's daily units alone. Both are null when a
-- side is shorter than `price_sensitivity_min_window_days`, or when the product sold fewer than
-- `price_sensitivity_min_quantity` units over both sides (too few to measure).
{%- set window_days = var('price_sensitivity_window_days') | int %}
{%- set min_days = var('price_sensitivity_min_window_days') | int %}
{%- set min_quantity = var('price_sensitivity_min_quantity') | int %}
{%- set window_hours = load_window_hours() %}
with

history as (

    select
        {{ load_window_start('min(ordered_at)') }} as history_start,
        {{ load_window_start('max(ordered_at)') }} + interval '{{ window_hours }} hours' as history_end
    from {{ ref('fct_orders') }}

),

products as (

    select
        product_id,
        product_name,
        category,
        launched_at
    from {{ ref('dim_products') }}

),

category_window_units as (

    select
        category,
        {{ load_window_start('ordered_at') }} as window_start,
        sum(quantity) as units
    from {{ ref('fct_order_items') }}
    group by category, {{ load_window_start('ordered_at') }}

),

window_grid as (

    select generate_series(history_start, history_end, interval '{{ window_hours }} hours') as window_start
    from history

),

-- units of each category sold before each load window, on the complete grid of loaded windows (and the
-- end of the history), so that the units of any run of windows are one difference of two lookups
category_cumulative_by_window as (

    select
        categories.category,
        grid.window_start,
        coalesce(
            sum(category_window_units.units) over (
                partition by categories.category
                order by grid.window_start
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as units_before
    from (select distinct category from products) as categories
    cross join window_grid as grid
    left join category_window_units
        on
            categories.category = category_window_units.category
            and grid.window_start = category_window_units.window_start

),

-- the same as one array per category, element n for the history's n-th window: three lookups per change by
-- position instead of three joins on (category, window), which PostgreSQL merges by category alone and
-- filters afterwards (40 million pairs a run at 365 days, 4 s of the model's 5)
category_cumulative as (

    select
        category,
        array_agg(units_before order by window_start) as units_before
    from category_cumulative_by_window
    group by category

),

price_periods as (

    select
        *,
        lag(valid_from) over (partition by product_id order by price_seq) as previous_valid_from
    from {{ ref('int_product_price_history') }}

),

changes as (

    select
        price_periods.product_id,
        products.product_name,
        products.category,
        price_periods.valid_from as changed_at,
        price_periods.change_kind,
        price_periods.previous_price as old_price,
        price_periods.price as new_price,
        greatest(
            price_periods.valid_from - interval '{{ window_days }} days',
            price_periods.previous_valid_from,
            -- the first whole window after the launch
            {{ load_window_start(
                "products.launched_at + interval '" ~ window_hours ~ " hours' - interval '1 microsecond'"
            ) }},
            history.history_start
        ) as before_start,
        least(
            price_periods.valid_from + interval '{{ window_days }} days',
            price_periods.valid_to,
            history.history_end
        ) as after_end
    from price_periods
    cross join history
    left join products on price_periods.product_id = products.product_id
    where price_periods.price_seq > 0

),

-- the position in the history of the window of each side's ends (1 for the first window)
change_windows as (

    select
        changes.*,
        (
            extract(epoch from {{ load_window_start('changes.before_start') }} - history.history_start)
            / {{ window_hours * 3600 }}
        )::int + 1 as before_start_position,
        (
            extract(epoch from {{ load_window_start('changes.changed_at') }} - history.history_start)
            / {{ window_hours * 3600 }}
        )::int + 1 as changed_at_position,
        (
            extract(epoch from {{ load_window_start('changes.after_end') }} - history.history_start)
            / {{ window_hours * 3600 }}
        )::int + 1 as after_end_position
    from changes
    cross join history

),

measured as (

    select
        changes.*,
        greatest(extract(epoch from changes.changed_at - changes.before_start) / 86400, 0) as days_before,
        greatest(extract(epoch from changes.after_end - changes.changed_at) / 86400, 0) as days_after,
        coalesce(quantity_before.quantity, 0) as quantity_before,
        coalesce(quantity_after.quantity, 0) as quantity_after,
        cumulative.units_before[changes.changed_at_position]
        - cumulative.units_before[changes.before_start_position] as category_quantity_before,
        cumulative.units_before[changes.after_end_position]
        - cumulative.units_before[changes.changed_at_position] as category_quantity_after
    from change_windows as changes
    left join lateral (
        select sum(order_items.quantity) as quantity
        from {{ ref('fct_order_items') }} as order_items
        where
            order_items.product_id = changes.product_id
            and order_items.ordered_at >= changes.before_start
            and order_items.ordered_at < changes.changed_at
    ) as quantity_before on true
    left join lateral (
        select sum(order_items.quantity) as quantity
        from {{ ref('fct_order_items') }} as order_items
        where
            order_items.product_id = changes.product_id
            and order_items.ordered_at >= changes.changed_at
            and order_items.ordered_at < changes.after_end
    ) as quantity_after on true
    left join category_cumulative as cumulative on changes.category = cumulative.category

),

rates as (

    select
        *,
        (
            days_before >= {{ min_days }}
            and days_after >= {{ min_days }}
            and quantity_before + quantity_after >= {{ min_quantity }}
        ) as is_measurable,
        case when days_before > 0 then quantity_before / days_before end as raw_daily_before,
        case when days_after > 0 then quantity_after / days_after end as raw_daily_after,
        quantity_before / nullif(category_quantity_before, 0)::numeric as share_before,
        quantity_after / nullif(category_quantity_after, 0)::numeric as share_after
    from measured

),

elasticities as (

    select
        *,
        case
            when is_measurable then
                ((share_after - share_before) / nullif((share_after + share_before) / 2, 0))
                / nullif((new_price - old_price) / ((new_price + old_price) / 2), 0)
        end as adjusted_elasticity,
        case
            when is_measurable then
                ((raw_daily_after - raw_daily_before) / nullif((raw_daily_after + raw_daily_before) / 2, 0))
                / nullif((new_price - old_price) / ((new_price + old_price) / 2), 0)
        end as raw_elasticity
    from rates

)

select
    product_id,
    product_name,
    category,
    changed_at,
    change_kind,
    old_price,
    new_price,
    round(days_before, 3)::numeric(8, 3) as days_before,
    round(days_after, 3)::numeric(8, 3) as days_after,
    quantity_before::bigint as quantity_before,
    quantity_after::bigint as quantity_after,
    round(case when days_before >= {{ min_days }} then raw_daily_before end, 4)::numeric(14, 4)
        as daily_quantity_before,
    round(case when days_after >= {{ min_days }} then raw_daily_after end, 4)::numeric(14, 4)
        as daily_quantity_after,
    round(case when days_before >= {{ min_days }} then category_quantity_before / days_before end, 4)::numeric(14, 4)
        as category_daily_quantity_before,
    round(case when days_after >= {{ min_days }} then category_quantity_after / days_after end, 4)::numeric(14, 4)
        as category_daily_quantity_after,
    round(raw_elasticity, 4)::numeric(12, 4) as unadjusted_arc_elasticity,
    round(adjusted_elasticity, 4)::numeric(12, 4) as arc_elasticity
from elasticities
