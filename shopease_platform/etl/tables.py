"""The raw tables: the contract between the operational store and the warehouse.

Timestamps are `timestamptz` (UTC), money is `numeric(12,2)`, ids are text. Every table keeps the MongoDB
`_id` it came from (`_source_id`) and when it was loaded (`_loaded_at`), for dbt freshness and lineage.

Indexes are chosen for a table that grows by COPY, window after window, where each b-tree index costs about as
much as the COPY itself (every index entry writes its own WAL record):
  * the window column has a BRIN index: rows arrive in time order, so block ranges summarise the time they hold,
    and replacing or reading a window touches only its blocks, for almost no cost per row;
  * `order_items` has no primary key. Its key (order_id, line_number) is unique by construction: lines load only
    with their order, in the same transaction, `orders.order_id` is a primary key (an order that moved to another
    window fails the load instead of duplicating), and validation quarantines orders with repeated line numbers.
    dbt tests the combination on `stg_order_items`.

Orders and lines are written with binary COPY straight into their tables (`pg_binary` encodes numeric).
Dimension and price-event rows go through a temporary staging table whose money columns are `float8`, then
into the raw table with one `INSERT ... SELECT` that casts them and upserts by key. Both happen in the
caller's transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from psycopg import Connection, sql


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # the raw table's type

    @property
    def staging_type(self) -> str:
        return "float8" if self.type.startswith("numeric") else self.type


@dataclass(frozen=True)
class RawTable:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    window_column: str | None = None  # replaced window by window; None: upserted by key
    key_enforced: bool = True
    """False where uniqueness follows from another table's primary key, so a unique index would only cost time."""

    @property
    def qualified(self) -> sql.Composed:
        return sql.SQL("raw.{}").format(sql.Identifier(self.name))

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _cols(spec: str) -> tuple[Column, ...]:
    parts = re.split(r",(?![^()]*\))", spec)  # commas outside numeric(12,2)
    pairs = [" ".join(part.split()).split(" ", 1) for part in parts]
    return tuple(Column(name, type_.strip()) for name, type_ in pairs)


PRODUCTS = RawTable(
    "products",
    _cols("""product_id text, sku text, name text, category text, subcategory text, brand text,
             base_price numeric(12,2), price numeric(12,2), initial_stock int4, stock int4, reorder_point int4,
             launched_at timestamptz, updated_at timestamptz"""),
    key=("product_id",),
)
STORES = RawTable(
    "stores",
    _cols("store_id text, name text, kind text, state text, city text, opened_at timestamptz"),
    key=("store_id",),
)
CUSTOMERS = RawTable(
    "customers",
    _cols("""customer_id text, first_name text, last_name text, email text, phone text, street text, city text,
             state text, postal_code text, created_at timestamptz, repeat_propensity float8"""),
    key=("customer_id",),
)
PRICE_EVENTS = RawTable(
    "price_events",
    _cols("""price_event_id text, product_id text, effective_at timestamptz, kind text, old_price numeric(12,2),
             new_price numeric(12,2)"""),
    key=("price_event_id",),
    window_column="effective_at",
)
ORDERS = RawTable(
    "orders",
    _cols("""order_id text, customer_id text, store_id text, ordered_at timestamptz, status text, currency text,
             order_total numeric(12,2), line_count int4"""),
    key=("order_id",),
    window_column="ordered_at",
)
ORDER_ITEMS = RawTable(
    "order_items",
    _cols("""order_id text, line_number int4, product_id text, quantity int4, unit_price numeric(12,2),
             line_revenue numeric(14,2), ordered_at timestamptz"""),
    key=("order_id", "line_number"),
    window_column="ordered_at",
    key_enforced=False,
)
RAW_TABLES = (PRODUCTS, STORES, CUSTOMERS, PRICE_EVENTS, ORDERS, ORDER_ITEMS)

REJECTED_DDL = """
create table if not exists raw.rejected_documents (
    collection   text not null,
    source_id    text not null,
    reason       text not null,
    payload      jsonb not null,
    window_start timestamptz,
    rejected_at  timestamptz not null default now(),
    _loaded_at   timestamptz not null default now(),
    primary key (collection, source_id)
)
"""


def ensure_raw_tables(conn: Connection) -> None:
    """Create the raw schema's tables and indexes when missing (idempotent, safe under concurrent runs).

    Tables made by earlier versions are brought to this layout: their b-tree window indexes become BRIN
    indexes and `order_items` loses its primary key (see the module docstring).
    """
    conn.execute("select pg_advisory_xact_lock(hashtext('shopease.raw.ddl'))")
    conn.execute("create schema if not exists raw")
    for table in RAW_TABLES:
        columns = [sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.type)) for c in table.columns]
        columns += [sql.SQL("_source_id text not null"), sql.SQL("_loaded_at timestamptz not null default now()")]
        key = sql.SQL(", ").join(map(sql.Identifier, table.key))
        if table.key_enforced:
            columns.append(sql.SQL("primary key ({})").format(key))
        conn.execute(sql.SQL("create table if not exists {} ({})").format(table.qualified, sql.SQL(", ").join(columns)))
        if not table.key_enforced and _has_constraint(conn, f"{table.name}_pkey"):
            # Checked first: ALTER TABLE locks out readers even when there is nothing to drop.
            conn.execute(
                sql.SQL("alter table {} drop constraint {}").format(
                    table.qualified, sql.Identifier(f"{table.name}_pkey")
                )
            )
        if table.window_column:
            conn.execute(
                sql.SQL("drop index if exists raw.{}").format(sql.Identifier(f"{table.name}_{table.window_column}_idx"))
            )
            conn.execute(
                sql.SQL("create index if not exists {} on {} using brin ({}) with (autosummarize = on)").format(
                    sql.Identifier(f"{table.name}_{table.window_column}_brin"),
                    table.qualified,
                    sql.Identifier(table.window_column),
                )
            )
    conn.execute(REJECTED_DDL)
    conn.execute("create index if not exists rejected_documents_window_idx on raw.rejected_documents (window_start)")


def _has_constraint(conn: Connection, name: str) -> bool:
    found = conn.execute(
        "select 1 from pg_constraint c join pg_namespace n on n.oid = c.connamespace"
        " where n.nspname = 'raw' and c.conname = %s",
        (name,),
    ).fetchone()
    return found is not None
