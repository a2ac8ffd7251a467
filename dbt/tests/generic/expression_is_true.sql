{#-
    Fails on every row of the model where the SQL boolean `expression` is not true (false or null).
    Usable on a model or on a column (the column name is then only informative).
-#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
