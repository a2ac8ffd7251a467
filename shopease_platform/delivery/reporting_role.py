"""The read-only `shopease_reporting` login that Tableau and other BI tools use to query the marts.

It may connect to the warehouse database, use the `analytics` schema and SELECT its tables and views,
including those dbt creates later (default privileges for the role that runs dbt). It holds nothing on the
raw, staging, seeds or snapshots schemas and no write privilege anywhere; every run re-applies the whole
state, so it is idempotent and also undoes grants someone added by hand. (PostgreSQL lets every role create
temporary tables by default, through PUBLIC; those vanish with the session and are left alone.)

The password comes from SHOPEASE_REPORTING_PASSWORD (default: the development value below, fine for the
embedded server, which trusts local connections). It is hashed (SCRAM-SHA-256) on the client, so the clear
text never reaches the server or its logs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql

from shopease_platform.delivery.marts import ANALYTICS_SCHEMA

REPORTING_ROLE = "shopease_reporting"
PASSWORD_VARIABLE = "SHOPEASE_REPORTING_PASSWORD"
DEFAULT_DEV_PASSWORD = "shopease-reporting-dev"
CLOSED_SCHEMAS = ("raw", "staging", "seeds", "snapshots")


def reporting_password(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get(PASSWORD_VARIABLE) or DEFAULT_DEV_PASSWORD


@dataclass(frozen=True)
class RoleReport:
    role: str
    database: str
    created: bool
    readable_tables: list[str]
    closed_schemas: list[str]


def ensure_reporting_role(
    conn: psycopg.Connection,
    password: str | None = None,
    role: str = REPORTING_ROLE,
    schema: str = ANALYTICS_SCHEMA,
    closed_schemas: Sequence[str] = CLOSED_SCHEMAS,
) -> RoleReport:
    """Create or update the role and bring its privileges in this database to exactly the intended state."""
    password = password if password is not None else reporting_password()
    ident, schema_ident = sql.Identifier(role), sql.Identifier(schema)
    database = conn.execute("select current_database()").fetchone()[0]
    with conn.transaction():
        created = _create_role(conn, role)
        hashed = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()
        conn.execute(
            sql.SQL(
                "alter role {} with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password {}"
            ).format(ident, sql.Literal(hashed))
        )
        conn.execute(sql.SQL("grant connect on database {} to {}").format(sql.Identifier(database), ident))
        conn.execute(sql.SQL("revoke create, temporary on database {} from {}").format(sql.Identifier(database), ident))
        conn.execute(sql.SQL("create schema if not exists {}").format(schema_ident))
        conn.execute(sql.SQL("grant usage on schema {} to {}").format(schema_ident, ident))
        conn.execute(sql.SQL("revoke create on schema {} from {}").format(schema_ident, ident))
        conn.execute(sql.SQL("revoke all on all tables in schema {} from {}").format(schema_ident, ident))
        conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(schema_ident, ident))
        conn.execute(
            sql.SQL("alter default privileges in schema {} grant select on tables to {}").format(schema_ident, ident)
        )
        closed = _close_schemas(conn, ident, closed_schemas)
        readable = _readable_tables(conn, role, schema)
    return RoleReport(role, database, created, readable, closed)


def _create_role(conn: psycopg.Connection, role: str) -> bool:
    """Roles are server-wide: two databases (or two runs) may race to create it, which is fine."""
    if conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
        return False
    try:
        with conn.transaction():
            conn.execute(sql.SQL("create role {} login").format(sql.Identifier(role)))
    except psycopg.errors.DuplicateObject:
        return False
    return True


def _close_schemas(conn: psycopg.Connection, ident: sql.Identifier, schemas: Sequence[str]) -> list[str]:
    """Revoke everything on the schemas that exist, and on their tables, present and future."""
    existing = {row[0] for row in conn.execute("select nspname from pg_namespace")}
    closed = []
    for schema in schemas:
        if schema not in existing:
            continue
        target = sql.Identifier(schema)
        conn.execute(sql.SQL("revoke all on schema {} from {}").format(target, ident))
        conn.execute(sql.SQL("revoke all on all tables in schema {} from {}").format(target, ident))
        conn.execute(
            sql.SQL("alter default privileges in schema {} revoke all on tables from {}").format(target, ident)
        )
        closed.append(schema)
    return closed


def _readable_tables(conn: psycopg.Connection, role: str, schema: str) -> list[str]:
    rows = conn.execute(
        """select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = %s and c.relkind in ('r', 'v', 'm', 'p', 'f')
             and has_table_privilege(%s, c.oid, 'SELECT')
           order by c.relname""",
        (schema, role),
    ).fetchall()
    return [row[0] for row in rows]
