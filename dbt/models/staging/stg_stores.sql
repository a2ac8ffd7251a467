-- One row per store: the online store and the physical branches, typed and deduplicated.
with

source as (

    {{ latest_version(source('raw', 'stores'), ['store_id']) }}

),

renamed as (

    select
        ---------- ids
        store_id::text as store_id,

        ---------- text
        name::text as store_name,
        lower(kind)::text as store_kind,
        upper(nullif(trim(state), ''))::text as state_code,
        nullif(trim(city), '')::text as city,

        ---------- booleans
        lower(kind) = 'online' as is_online,

        ---------- timestamps
        opened_at::timestamptz as opened_at,

        ---------- load metadata
        _source_id::text as _source_id,
        _loaded_at::timestamptz as _loaded_at

    from source

)

select * from renamed
