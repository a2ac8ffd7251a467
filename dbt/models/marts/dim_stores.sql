-- One row per store: the online store (no state) and the physical branches.
with

stores as (

    select * from {{ ref('stg_stores') }}

),

states as (

    select
        state_code,
        state_name
    from {{ ref('us_states') }}

)

select
    stores.store_id,
    stores.store_name,
    stores.store_kind,
    stores.state_code,
    states.state_name,
    stores.city,
    stores.opened_at
from stores
left join states on stores.state_code = states.state_code
