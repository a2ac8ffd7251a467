{#-
    The rows of `relation` that are the latest version of their key: a row is dropped when another row with
    the same key sorts after it on `version_columns` (compared as a row, e.g. (_loaded_at, _source_id)).

    An anti-join rather than row_number(): the result stays a plain filter, so PostgreSQL inlines the
    staging view and pushes the callers' predicates (a time window, a key lookup) down to the raw table's
    indexes instead of ranking the whole history first. The relation sits in a subquery so that it can be
    aliased whatever it renders to (`dbt run --empty` renders refs and sources as aliased subqueries).
-#}
{% macro latest_version(relation, key_columns, version_columns=['_loaded_at', '_source_id']) -%}
    select source_row.*
    from (select * from {{ relation }}) as source_row
    where not exists (
        select 1
        from (select * from {{ relation }}) as newer_row
        where
            {%- for column in key_columns %}
            newer_row.{{ column }} = source_row.{{ column }} and
            {%- endfor %}
            ({% for column in version_columns %}newer_row.{{ column }}{{ ', ' if not loop.last }}{% endfor %})
            > ({% for column in version_columns %}source_row.{{ column }}{{ ', ' if not loop.last }}{% endfor %})
    )
{%- endmacro %}
