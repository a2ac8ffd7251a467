-- One row per quarantined source document (collection, source_id), typed and deduplicated.
with

source as (

    {{ latest_version(
        source('raw', 'rejected_documents'),
        ['collection', 'source_id'],
        ['_loaded_at', 'rejected_at'],
    ) }}

),

renamed as (

    select
        ---------- ids
        (collection || ':' || source_id)::text as rejected_document_id,
        collection::text as collection,
        source_id::text as source_id,

        ---------- text
        reason::text as reason,
        payload::jsonb as payload,

        ---------- timestamps
        window_start::timestamptz as window_start,
        rejected_at::timestamptz as rejected_at,

        ---------- load metadata
        _loaded_at::timestamptz as _loaded_at

    from source

)

select * from renamed
