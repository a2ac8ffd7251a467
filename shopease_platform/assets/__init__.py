"""Dagster assets, one module per stage: MongoDB raw store, PostgreSQL raw tables, dbt models, delivery."""
