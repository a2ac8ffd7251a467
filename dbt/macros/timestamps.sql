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

{#-
    Length in hours of the ETL's load windows. It is defined once, in shopease_platform/window.py, which hands it
    to every dbt invocation as SHOPEASE_DBT_WINDOW_HOURS (`shopease services env` prints it for a shell). Parsing
    needs no value; running without one is an error rather than a silent guess.
-#}
{% macro load_window_hours() -%}
    {%- set hours = env_var('SHOPEASE_DBT_WINDOW_HOURS', '') -%}
    {%- if execute and not hours -%}
        {{ exceptions.raise_compiler_error(
            "SHOPEASE_DBT_WINDOW_HOURS is not set: run dbt with the variables of `shopease services env`"
        ) }}
    {%- endif -%}
    {{ return((hours or 0) | int) }}
{%- endmacro %}

{#- Start of the ETL load window (`load_window_hours()` wide, aligned on UTC midnight) holding a timestamp. -#}
{% macro load_window_start(column) -%}
    date_bin(interval '{{ load_window_hours() }} hours', {{ column }}, timestamptz '2000-01-01 00:00:00+00')
{%- endmacro %}

{#-
    Snapshots (check strategy) stamp dbt_valid_from / dbt_valid_to with the snapshot time. dbt-postgres uses
    `now()::timestamp without time zone`, i.e. wall-clock time in the session's zone; this keeps the instant
    (timestamptz), so the snapshot columns compare cleanly with the `timestamptz` columns of the warehouse.
-#}
{% macro postgres__snapshot_get_time() -%}
    {{ current_timestamp() }}
{%- endmacro %}
