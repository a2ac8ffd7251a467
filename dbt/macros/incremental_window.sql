{#-
    Time window of the incremental models.

    Contract: the orchestrator may pass `--vars '{window_start: "<ISO-8601>", window_end: "<ISO-8601>"}'`
    (or the same values in SHOPEASE_DBT_WINDOW_START / SHOPEASE_DBT_WINDOW_END, see load_window),
    a half-open interval [window_start, window_end). Timestamps without an offset are read as UTC; a bare
    date means its midnight UTC. Both or neither must be given, and start must be before end.

    Row models (int_orders__sequenced, fct_orders, fct_order_items; strategy delete+insert on their key):
    * Window given, target holds rows: the rows whose `ordered_at` falls in the window are replaced. A
      pre-hook first deletes them from the target, so rows that vanished upstream when the ETL reloaded
      the window vanish here too. Only the window's rows are read (index on the raw tables' time column).
    * No window, target holds rows: rows loaded (`_loaded_at`) after the newest load already in the
      target, minus `incremental_lookback_hours`, are delete+inserted by unique key.

    Period aggregates (daily / monthly marts; strategy append after a pre-hook delete):
    * Window given, target holds rows: every UTC day / month / year the window touches is deleted and
      rebuilt from the fact tables, whole periods at a time.
    * No window, target holds rows: every period is rebuilt (same result as a full refresh).

    Target missing, empty (e.g. after `dbt run --empty`) or --full-refresh: everything is built, window or
    not.
-#}

{#-
    True when an incremental model builds on rows already in its target: is_incremental() and the target
    holds at least one row. One cheap query per call at run time; parsing assumes true.
-#}
{% macro incremental_on_existing_rows() -%}
    {%- if not is_incremental() -%}
        {{ return(false) }}
    {%- elif not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set result = run_query('select exists (select 1 from ' ~ this ~ ') as has_rows') -%}
    {{ return(result.columns[0].values()[0]) }}
{%- endmacro %}

{#-
    The load window of the run: the window_start / window_end vars, else, at run time only, the
    SHOPEASE_DBT_WINDOW_START / SHOPEASE_DBT_WINDOW_END environment variables. The orchestrator uses the
    variables: dbt re-parses the whole project whenever --vars change, but an environment variable read only
    while executing (never while parsing) leaves the saved parse valid, so a window run starts in seconds.
-#}
{% macro load_window() -%}
    {%- set raw_start = var('window_start', none) -%}
    {%- set raw_end = var('window_end', none) -%}
    {%- set unset = [none, '', 'none', 'None', 'null'] -%}
    {%- if execute and raw_start in unset and raw_end in unset -%}
        {%- set raw_start = env_var('SHOPEASE_DBT_WINDOW_START', '') -%}
        {%- set raw_end = env_var('SHOPEASE_DBT_WINDOW_END', '') -%}
    {%- endif -%}
    {%- set start_unset = raw_start in unset -%}
    {%- set end_unset = raw_end in unset -%}
    {%- if start_unset and end_unset -%}
        {{ return(none) }}
    {%- elif start_unset or end_unset -%}
        {{ exceptions.raise_compiler_error(
            "window_start and window_end must be passed together (got window_start=" ~ raw_start
            ~ ", window_end=" ~ raw_end ~ ")") }}
    {%- endif -%}
    {%- set window_start = _parse_window_bound(raw_start, 'window_start') -%}
    {%- set window_end = _parse_window_bound(raw_end, 'window_end') -%}
    {%- if window_start >= window_end -%}
        {{ exceptions.raise_compiler_error(
            "window_start (" ~ window_start.isoformat() ~ ") must be before window_end ("
            ~ window_end.isoformat() ~ ")") }}
    {%- endif -%}
    {{ return({
        'start': "timestamptz '" ~ window_start.isoformat() ~ "'",
        'end': "timestamptz '" ~ window_end.isoformat() ~ "'",
    }) }}
{%- endmacro %}

{% macro _parse_window_bound(value, name) -%}
    {%- set text = value | string | trim -%}
    {%- set pattern = '^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$' -%}
    {%- if not modules.re.match(pattern, text) -%}
        {{ exceptions.raise_compiler_error(
            name ~ " must be an ISO-8601 timestamp such as 2026-01-01T03:00:00+00:00 (got '" ~ text ~ "')") }}
    {%- endif -%}
    {%- set parsed = modules.datetime.datetime.fromisoformat(text) -%}
    {%- if parsed.tzinfo is none -%}
        {%- set parsed = parsed.replace(tzinfo=modules.pytz.utc) -%}
    {%- endif -%}
    {{ return(parsed.astimezone(modules.pytz.utc)) }}
{%- endmacro %}

{#- Row filter of an incremental model keyed by a timestamp column (e.g. ordered_at). -#}
{% macro incremental_rows_filter(time_column, loaded_at_column='_loaded_at') -%}
    {%- set window = load_window() -%}
    {%- if not incremental_on_existing_rows() -%}
        true
    {%- elif window is not none -%}
        {{ time_column }} >= {{ window.start }} and {{ time_column }} < {{ window.end }}
    {%- else -%}
        {{ loaded_at_column }} > (
            select coalesce(max({{ loaded_at_column }}), '-infinity'::timestamptz) from {{ this }}
        ) - interval '{{ var("incremental_lookback_hours") | int }} hours'
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook: with a window, delete the window's rows from the target before they are rebuilt. -#}
{% macro delete_window_rows(time_column) -%}
    {%- set window = load_window() -%}
    {%- if incremental_on_existing_rows() and window is not none -%}
        delete from {{ this }}
        where {{ time_column }} >= {{ window.start }} and {{ time_column }} < {{ window.end }}
    {%- endif -%}
{%- endmacro %}

{% macro _window_first_day(window) -%}
    ({{ window.start }} at time zone 'UTC')::date
{%- endmacro %}

{% macro _window_last_day(window) -%}
    (({{ window.end }} - interval '1 microsecond') at time zone 'UTC')::date
{%- endmacro %}

{#-
    Condition on a date column (a day, or the first day of a period) selecting the `grain` periods
    ('day', 'month' or 'year', UTC) the load window touches: date_column in [start of the first period,
    end of the last period). `true` without a window.
-#}
{% macro window_periods_condition(date_column, grain) -%}
    {%- set window = load_window() -%}
    {%- if grain not in ['day', 'month', 'year'] -%}
        {{ exceptions.raise_compiler_error("grain must be 'day', 'month' or 'year' (got '" ~ grain ~ "')") }}
    {%- endif -%}
    {%- if window is none -%}
        true
    {%- else -%}
        ({{ date_column }} >= date_trunc('{{ grain }}', {{ _window_first_day(window) }}::timestamp)::date
        and {{ date_column }} < (date_trunc('{{ grain }}', {{ _window_last_day(window) }}::timestamp) + interval '1 {{ grain }}')::date)
    {%- endif -%}
{%- endmacro %}

{#- Row filter of an incremental period aggregate: the periods the window touches, or all of them. -#}
{% macro incremental_periods_filter(date_column, grain) -%}
    {%- if incremental_on_existing_rows() -%}
        {{ window_periods_condition(date_column, grain) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#-
    Pre-hook of an incremental period aggregate: delete the periods about to be rebuilt (every period
    without a window). `grains` maps a value of `grain_column` to its grain, for tables holding several
    grains (e.g. {'day': 'day', 'month': 'month'} on period_grain); without it the table has one grain.
    A grain of none is one period over the whole history (e.g. {'month': 'month', 'all': none}): its rows
    change with every window, so they are deleted and rebuilt on every run.
-#}
{% macro delete_incremental_periods(date_column, grain=none, grain_column=none, grains=none) -%}
    {%- if incremental_on_existing_rows() -%}
        delete from {{ this }}
        where
        {%- if grain_column is none %}
            {{ window_periods_condition(date_column, grain) }}
        {%- else %}
            {%- for value, value_grain in grains.items() %}
            {%- set periods = 'true' if value_grain is none else window_periods_condition(date_column, value_grain) %}
            {{ 'or ' if not loop.first }}({{ grain_column }} = '{{ value }}' and {{ periods }})
            {%- endfor %}
        {%- endif %}
    {%- endif -%}
{%- endmacro %}

{#-
    Row filter of an incremental aggregate over the whole history, one row per entity (e.g. per product):
    with a window, the rows of the entities that have rows in it (read from `source` on `time_column`), so a
    window run rebuilds only the entities it touched; without a window, or into an empty target, every row.
    The model's strategy is delete+insert on the entity's key.
-#}
{% macro incremental_keys_filter(key_column, source, time_column) -%}
    {%- set window = load_window() -%}
    {%- if incremental_on_existing_rows() and window is not none -%}
        {{ key_column }} in (
            select touched.{{ key_column }} from {{ source }} as touched
            where touched.{{ time_column }} >= {{ window.start }} and touched.{{ time_column }} < {{ window.end }}
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
