-- One row per customer, typed and deduplicated. Personal data stays in staging; the marts keep only
-- the customer id and the location.
with

source as (

    {{ latest_version(source('raw', 'customers'), ['customer_id']) }}

),

renamed as (

    select
        ---------- ids
        customer_id::text as customer_id,

        ---------- text
        first_name::text as first_name,
        last_name::text as last_name,
        lower(trim(email))::text as email,
        phone::text as phone,
        street::text as street,
        city::text as city,
        upper(trim(state))::text as state_code,
        postal_code::text as postal_code,

        ---------- numerics
        repeat_propensity::double precision as repeat_propensity,

        ---------- timestamps
        created_at::timestamptz as created_at,

        ---------- load metadata
        _source_id::text as _source_id,
        _loaded_at::timestamptz as _loaded_at

    from source

)

select * from renamed
