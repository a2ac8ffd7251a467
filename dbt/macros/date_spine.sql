{#-
    One row per day from start_date to end_date, both inclusive; each argument is a SQL expression
    castable to date. Returns no rows when either bound is null (e.g. on `dbt run --empty`).
-#}
{% macro date_spine(start_date, end_date) -%}
    select spine_day::date as date_day
    from generate_series(
        ({{ start_date }})::date::timestamp,
        ({{ end_date }})::date::timestamp,
        interval '1 day'
    ) as spine(spine_day)
{%- endmacro %}

{#- One row per first-of-month from the month of start_date to the month of end_date, both inclusive. -#}
{% macro month_spine(start_date, end_date) -%}
    select spine_month::date as month_start
    from generate_series(
        date_trunc('month', ({{ start_date }})::date::timestamp),
        date_trunc('month', ({{ end_date }})::date::timestamp),
        interval '1 month'
    ) as spine(spine_month)
{%- endmacro %}
