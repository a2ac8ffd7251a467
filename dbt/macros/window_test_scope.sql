{#-
    Data tests of incremental models, scoped to what a window run rebuilt.

    dbt hands every generic test the model it checks through `get_where_subquery`; this override adds, when
    the run has a load window (`load_window`: vars or environment), the rows that window rebuilt to the test's
    own `where` config. A model declares its scope in `meta.window_test_scope` (dbt_project.yml), a list of
    conditions any of which puts a row in scope:
      * {column: ordered_at}                 rows whose timestamp falls in the window;
      * {column: order_date, grain: day}     rows of the day / month / year periods the window touches;
      * {column: last_order_at, open_end: true}   rows whose timestamp is at or after the window's start.
    Models without it, and runs without a window, are tested whole. A window covering all history (a backfill)
    scopes nothing away; a 3-hour tick tests only its window's rows instead of scanning whole tables.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set scope = window_test_scope(relation) -%}
    {%- if scope -%}
        {%- do conditions.append(scope) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- The window condition of the model behind `relation`, or none (no window, or the model declares no scope). -#}
{% macro window_test_scope(relation) -%}
    {%- set window = load_window() -%}
    {%- if window is none or not execute or relation.identifier is not defined -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.alias == relation.identifier and node.schema == relation.schema -%}
        {%- set scopes = node.config.meta.get('window_test_scope') -%}
        {%- if scopes -%}
            {%- set any_of = [] -%}
            {%- for scope in scopes -%}
                {%- if scope.get('grain') -%}
                    {%- do any_of.append(window_periods_condition(scope.column, scope.grain)) -%}
                {%- elif scope.get('open_end') -%}
                    {%- do any_of.append(scope.column ~ ' >= ' ~ window.start) -%}
                {%- else -%}
                    {%- do any_of.append(
                        '(' ~ scope.column ~ ' >= ' ~ window.start
                        ~ ' and ' ~ scope.column ~ ' < ' ~ window.end ~ ')'
                    ) -%}
                {%- endif -%}
            {%- endfor -%}
            {{ return('(' ~ any_of | join(' or ') ~ ')') }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}
