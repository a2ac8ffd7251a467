"""ShopEase Analytics Platform: simulation, MongoDB, PostgreSQL, dbt and delivery in one Dagster graph."""
