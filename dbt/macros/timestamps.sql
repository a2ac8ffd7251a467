{#- Calendar parts are always taken in UTC, whatever the session's time zone is. -#}
{% macro utc_date(column) -%}
    (({{ column }}) at time zone 'UTC')::date
{%- endmacro %}

{% macro utc_month_start(column) -%}
    (date_trunc('month', ({{ column }}) at time zone 'UTC'))::date
{%- endmacro %}

{% macro utc_part(part, column) -%}
    extract({{ part }} from ({{ column }}) at time zone 'UTC')::integer
{%- endmacro %}

{#- Start of the ETL load window (`load_window_hours` wide, aligned on UTC midnight) holding a timestamp. -#}
{% macro load_window_start(column) -%}
    date_bin(interval '{{ var("load_window_hours") | int }} hours', {{ column }}, timestamptz '2000-01-01 00:00:00+00')
{%- endmacro %}

{#-
    Snapshots (check strategy) stamp dbt_valid_from / dbt_valid_to with the snapshot time. dbt-postgres uses
    `now()::timestamp without time zone`, i.e. wall-clock time in the session's zone; this keeps the instant
    (timestamptz), so the snapshot columns compare cleanly with the `timestamptz` columns of the warehouse.
-#}
{% macro postgres__snapshot_get_time() -%}
    {{ current_timestamp() }}
{%- endmacro %}
