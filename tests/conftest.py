"""Session fixtures: real MongoDB (replica set) and PostgreSQL servers for the whole test run.

The servers are the embedded ones, started in a temporary folder on free ports and stopped at the end.
When SHOPEASE_MONGODB_URI / SHOPEASE_POSTGRES_URL are set, the same tests run against those servers instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from shopease_platform.resources.dbt_project import prepare_manifest
from shopease_platform.services import Endpoints, ServiceManager, postgres
from shopease_platform.settings import Settings


def pytest_configure(config: pytest.Config) -> None:
    """The dbt manifest the definitions load, parsed again if a dbt file changed since (nothing parses on import)."""
    prepare_manifest()


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("shopease-home")
    env = {key: value for key, value in os.environ.items() if key != "DAGSTER_HOME"}
    env["SHOPEASE_HOME"] = str(home)
    # The tests use history from 2025 on (a whole calendar year for the planted-truth tests).
    env.setdefault("SHOPEASE_START_DATE", "2025-01-01")
    return Settings.from_env(env)


@pytest.fixture(scope="session")
def services(test_settings: Settings) -> Iterator[Endpoints]:
    """Start (or reach) the servers once and export their endpoints for Dagster's EnvVar resources."""
    with running_services(test_settings) as endpoints:
        yield endpoints


@contextmanager
def running_services(settings: Settings) -> Iterator[Endpoints]:
    """`services up` with the endpoints exported; whatever was started is stopped, even when `up` fails part-way."""
    manager = ServiceManager(settings)
    saved = dict(os.environ)
    try:
        endpoints = manager.up()
        os.environ.update(endpoints.as_env(settings))
        yield endpoints
    finally:
        os.environ.clear()
        os.environ.update(saved)
        manager.down()
        postgres.forget(settings.home)


@contextmanager
def fresh_databases(services: Endpoints, label: str) -> Iterator[tuple[str, str]]:
    """A fresh MongoDB database name and a fresh PostgreSQL database URL, dropped afterwards."""
    import psycopg
    import pymongo
    from psycopg import sql

    from shopease_platform.settings import with_database

    name = "t_" + "".join(ch if ch.isalnum() else "_" for ch in label.lower())[:40]
    server = with_database(services.postgres_url, "postgres")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    client: pymongo.MongoClient = pymongo.MongoClient(services.mongodb_uri)
    client.drop_database(name)
    try:
        yield name, with_database(services.postgres_url, name)
    finally:
        client.drop_database(name)
        client.close()
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture
def isolated_stores(services: Endpoints, request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """Fresh databases for one test."""
    with fresh_databases(services, request.node.name) as stores:
        yield stores
