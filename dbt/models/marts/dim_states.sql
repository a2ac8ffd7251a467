-- One row per US state (and DC) from the us_states seed, with the centroid used by map layers.
select
    state_code::text as state_code,
    state_name::text as state_name,
    fips_code::text as fips_code,
    region::text as region,
    division::text as division,
    latitude::double precision as latitude,
    longitude::double precision as longitude
from {{ ref('us_states') }}
