-- Price elasticity of demand per category: the median and the mean of the arc elasticities measured
-- around the category's price changes (mart_price_sensitivity). The median resists the noise of products
-- that sell a few units a day; categories whose demand reacts more to price have more negative values.
with

changes as (

    select * from {{ ref('mart_price_sensitivity') }}

)

select
    category,
    count(arc_elasticity)::bigint as price_changes,
    count(*) filter (where arc_elasticity is null)::bigint as unmeasured_price_changes,
    round(
        (
            percentile_cont(0.5) within group (order by arc_elasticity) filter (where arc_elasticity is not null)
        )::numeric,
        4
    )::numeric(12, 4) as median_arc_elasticity,
    round(avg(arc_elasticity), 4)::numeric(12, 4) as mean_arc_elasticity
from changes
group by category
