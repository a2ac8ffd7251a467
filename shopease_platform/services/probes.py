"""Fast reachability checks that turn driver errors into messages naming the setting to fix."""

from __future__ import annotations

import psycopg
import pymongo
from pymongo.errors import PyMongoError

from shopease_platform.services.state import ServiceError
from shopease_platform.settings import redact


def check_mongodb(uri: str, timeout_s: float, setting: str = "SHOPEASE_MONGODB_URI") -> None:
    """Ping MongoDB and insist on a replica set (transactions and change streams need one)."""
    client: pymongo.MongoClient = pymongo.MongoClient(
        uri, serverSelectionTimeoutMS=int(timeout_s * 1000), connectTimeoutMS=int(timeout_s * 1000)
    )
    try:
        hello = client.admin.command("hello")
    except PyMongoError as error:
        raise ServiceError(
            f"MongoDB is unreachable at {setting}={redact(uri)} within {timeout_s:.0f}s: {_first_line(error)}"
        ) from error
    finally:
        client.close()
    if not hello.get("setName"):
        raise ServiceError(
            f"MongoDB at {setting}={redact(uri)} is a standalone server; transactions and change streams need "
            "a replica set (start mongod with --replSet and initiate it)."
        )


def check_postgres(url: str, timeout_s: float, setting: str = "SHOPEASE_POSTGRES_URL") -> None:
    try:
        with psycopg.connect(url, connect_timeout=max(1, int(timeout_s))) as conn:
            conn.execute("select 1")
    except psycopg.Error as error:
        raise ServiceError(
            f"PostgreSQL is unreachable at {setting}={redact(url)} within {timeout_s:.0f}s: {error}"
        ) from error


def _first_line(error: Exception) -> str:
    """Drivers append long topology dumps; the first clause says what went wrong."""
    return str(error).split(", Timeout:", 1)[0].splitlines()[0][:300]
