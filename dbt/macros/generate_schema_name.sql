{#-
    Custom schema names are used verbatim: `+schema: analytics` lands in `analytics`, not in
    `<target schema>_analytics` (dbt's default). Nodes without a custom schema use the target's schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
