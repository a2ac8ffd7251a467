"""Dagster resources for the two storage systems, configured from environment variables."""

from shopease_platform.resources.mongo import MongoResource
from shopease_platform.resources.postgres import PostgresResource

__all__ = ["MongoResource", "PostgresResource"]
