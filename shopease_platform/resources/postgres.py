"""PostgreSQL as a Dagster resource: short-lived psycopg 3 connections in UTC, failing fast with the setting named."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import psycopg

from shopease_platform.services.state import ServiceError
from shopease_platform.settings import redact


class PostgresResource(dg.ConfigurableResource):
    """The warehouse database (schemas raw, staging, analytics)."""

    url: str
    connect_timeout_s: int = 5
    setting_name: str = "SHOPEASE_POSTGRES_URL"

    @contextmanager
    def connect(self, autocommit: bool = False) -> Iterator[psycopg.Connection]:
        """A connection whose session time zone is UTC; committed on success, rolled back on error."""
        try:
            conn = psycopg.connect(
                self.url, autocommit=autocommit, connect_timeout=self.connect_timeout_s, options="-c timezone=UTC"
            )
        except psycopg.OperationalError as error:
            raise ServiceError(
                f"PostgreSQL is unreachable at {self.setting_name}={redact(self.url)}: {error}"
            ) from error
        with conn:
            yield conn
