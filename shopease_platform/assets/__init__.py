"""Dagster assets, one module per stage: MongoDB raw store, PostgreSQL raw tables, dbt models, delivery."""

import warnings

from dagster_shared.utils.warnings import BetaWarning

# Single-run backfill policies are how a range of windows loads in one run; the platform relies on them on purpose.
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=BetaWarning)
