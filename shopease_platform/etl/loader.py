"""Load raw MongoDB documents into PostgreSQL, exactly and atomically.

Each call runs in the caller's transaction: documents stream from MongoDB in batches (memory stays flat as a
window grows), are validated and flattened in Python, written with binary COPY into temporary staging tables,
and published into the raw tables with one set-based statement per table. A window is replaced whole
(delete-and-insert on its time column), dimensions are upserted by key; if anything fails, the transaction
rolls back and the previous state of the window is intact.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from bson import json_util
from psycopg import Connection, sql
from pymongo.database import Database

from shopease_platform.etl import tables
from shopease_platform.etl.tables import RawTable
from shopease_platform.etl.validation import (
    Document,
    References,
    Rejected,
    Row,
    customer_row,
    order_rows,
    partition,
    price_event_row,
    product_row,
    store_row,
)

Window = tuple[datetime, datetime]
BATCH_SIZE = 10_000
# A non-date value in a window's time field can never match a window query; these find such documents.
_NOT_A_DATE = {"$type": ["string", "number", "object", "array", "bool", "objectId"]}


@dataclass
class LoadResult:
    rows: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def rows_loaded(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_rejected(self) -> int:
        return sum(self.rejected.values())

    def add(self, other: LoadResult) -> None:
        self.rows.update(other.rows)
        self.rejected.update(other.rejected)
        self.seconds += other.seconds


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _staging_name(table: RawTable) -> sql.Identifier:
    return sql.Identifier(f"stg_{table.name}")


def _create_staging(conn: Connection, table: RawTable) -> None:
    columns = [sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.staging_type)) for c in table.columns]
    columns.append(sql.SQL("_source_id text"))
    conn.execute(sql.SQL("drop table if exists {}").format(_staging_name(table)))
    conn.execute(
        sql.SQL("create temp table {} ({}) on commit drop").format(_staging_name(table), sql.SQL(", ").join(columns))
    )


def _copy(conn: Connection, table: RawTable, rows: Iterable[Row]) -> int:
    """Binary COPY into the staging table: the fastest path psycopg offers."""
    names = [*table.column_names, "_source_id"]
    statement = sql.SQL("copy {} ({}) from stdin (format binary)").format(
        _staging_name(table), sql.SQL(", ").join(map(sql.Identifier, names))
    )
    count = 0
    with conn.cursor().copy(statement) as copy:
        copy.set_types([c.staging_type for c in table.columns] + ["text"])
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _publish(conn: Connection, table: RawTable, window: Window | None) -> int:
    """Move staged rows into the raw table: replace the window, or upsert by key."""
    names = [*table.column_names, "_source_id"]
    casts = sql.SQL(", ").join(sql.SQL("{}::{}").format(sql.Identifier(c.name), sql.SQL(c.type)) for c in table.columns)
    insert = sql.SQL("insert into {} ({}, _loaded_at) select {}, _source_id, now() from {}").format(
        table.qualified, sql.SQL(", ").join(map(sql.Identifier, names)), casts, _staging_name(table)
    )
    if window is not None and table.window_column:
        conn.execute(
            sql.SQL("delete from {} where {} >= %s and {} < %s").format(
                table.qualified, sql.Identifier(table.window_column), sql.Identifier(table.window_column)
            ),
            window,
        )
        return conn.execute(insert).rowcount
    updates = sql.SQL(", ").join(
        sql.SQL("{} = excluded.{}").format(sql.Identifier(n), sql.Identifier(n))
        for n in [*names, "_loaded_at"]
        if n not in table.key
    )
    upsert = sql.SQL("{} on conflict ({}) do update set {}").format(
        insert, sql.SQL(", ").join(map(sql.Identifier, table.key)), updates
    )
    return conn.execute(upsert).rowcount


def _quarantine(
    conn: Connection,
    collection: str,
    rejects: Sequence[tuple[Document, str]],
    window_start: datetime | None,
    replace_scope: bool = True,
) -> None:
    """Record rejected documents with their reason and original payload (one row per document)."""
    if replace_scope:
        if window_start is None:
            conn.execute(
                "delete from raw.rejected_documents where collection = %s and window_start is null", (collection,)
            )
        else:
            conn.execute(
                "delete from raw.rejected_documents where collection = %s and window_start = %s",
                (collection, window_start),
            )
    if not rejects:
        return
    with conn.cursor() as cursor:
        cursor.executemany(
            """insert into raw.rejected_documents (collection, source_id, reason, payload, window_start)
               values (%s, %s, %s, %s::jsonb, %s)
               on conflict (collection, source_id) do update
               set reason = excluded.reason, payload = excluded.payload, window_start = excluded.window_start,
                   rejected_at = now(), _loaded_at = now()""",
            [(collection, str(doc.get("_id")), reason, json_util.dumps(doc), window_start) for doc, reason in rejects],
        )


def _load_documents(
    conn: Connection,
    table: RawTable,
    collection: str,
    docs: Sequence[Document],
    flatten: Callable[[Document], Row],
    window: Window | None,
) -> LoadResult:
    started = time.monotonic()
    result = LoadResult()
    rows, rejects = partition(docs, flatten)
    _create_staging(conn, table)
    _copy(conn, table, rows)
    result.rows[table.name] = _publish(conn, table, window)
    _quarantine(conn, collection, rejects, window[0] if window else None)
    result.rejected[collection] = len(rejects)
    result.seconds = time.monotonic() - started
    return result


# --- dimensions --------------------------------------------------------------------------------------------


def load_products(mongo: Database, conn: Connection) -> LoadResult:
    return _load_documents(conn, tables.PRODUCTS, "products", list(mongo.products.find()), product_row, None)


def load_stores(mongo: Database, conn: Connection) -> LoadResult:
    return _load_documents(conn, tables.STORES, "stores", list(mongo.stores.find()), store_row, None)


def load_customers(mongo: Database, conn: Connection, window: Window) -> LoadResult:
    """Customers created in the window, plus any customer the window's orders reference.

    A returning customer may come from a window this warehouse never loaded (history that starts mid-way),
    so referenced customers are upserted too; the upsert makes loading one twice harmless.
    """
    referenced = mongo.orders.distinct("customer_id", {"ordered_at": {"$gte": window[0], "$lt": window[1]}})
    query = {"$or": [{"created_at": {"$gte": window[0], "$lt": window[1]}}, {"_id": {"$in": referenced}}]}
    docs = list(mongo.customers.find(query))
    return _load_documents(conn, tables.CUSTOMERS, "customers", docs, customer_row, window)


def load_price_events(mongo: Database, conn: Connection, window: Window) -> LoadResult:
    docs = list(mongo.price_events.find({"effective_at": {"$gte": window[0], "$lt": window[1]}}))
    return _load_documents(conn, tables.PRICE_EVENTS, "price_events", docs, price_event_row, window)


# --- orders ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderReferences:
    """Products and stores are small and read once per run; customers are checked per batch."""

    products: frozenset[str]
    stores: frozenset[str]

    @classmethod
    def read(cls, mongo: Database) -> OrderReferences:
        return cls(frozenset(mongo.products.distinct("_id")), frozenset(mongo.stores.distinct("_id")))


def load_orders(
    mongo: Database,
    conn: Connection,
    window: Window,
    references: OrderReferences | None = None,
    batch_size: int = BATCH_SIZE,
    after_batch: Callable[[int], None] | None = None,
) -> LoadResult:
    """Replace the window's rows in raw.orders and raw.order_items with what MongoDB holds now.

    `after_batch` is called with the batch number after each batch is staged (progress, failure injection).
    """
    started = time.monotonic()
    references = references or OrderReferences.read(mongo)
    result = LoadResult()
    _create_staging(conn, tables.ORDERS)
    _create_staging(conn, tables.ORDER_ITEMS)
    cursor = mongo.orders.find({"ordered_at": {"$gte": window[0], "$lt": window[1]}}, batch_size=batch_size)
    rejects: list[tuple[Document, str]] = []
    for number, batch in enumerate(_batches(cursor, batch_size), start=1):
        customer_ids = list({doc.get("customer_id") for doc in batch if isinstance(doc.get("customer_id"), str)})
        known = frozenset(mongo.customers.distinct("_id", {"_id": {"$in": customer_ids}}))
        refs = References(references.products, references.stores, known)
        order_batch: list[Row] = []
        line_batch: list[Row] = []
        for doc in batch:
            try:
                order, lines = order_rows(doc, window, refs)
            except Rejected as reason:
                rejects.append((doc, str(reason)))
                continue
            order_batch.append(order)
            line_batch.extend(lines)
        _copy(conn, tables.ORDERS, order_batch)
        _copy(conn, tables.ORDER_ITEMS, line_batch)
        if after_batch is not None:
            after_batch(number)
    result.rows["orders"] = _publish(conn, tables.ORDERS, window)
    result.rows["order_items"] = _publish(conn, tables.ORDER_ITEMS, window)
    _quarantine(conn, "orders", rejects, window[0])
    result.rejected["orders"] = len(rejects)
    result.seconds = time.monotonic() - started
    return result


def quarantine_unplaceable(mongo: Database, conn: Connection) -> LoadResult:
    """Quarantine documents whose time field is missing or not a date: no window query can ever find them.

    Run once per load, not per window; the documents are recorded with no window.
    """
    result = LoadResult()
    for collection, field_name in (
        ("orders", "ordered_at"),
        ("customers", "created_at"),
        ("price_events", "effective_at"),
    ):
        docs = list(mongo[collection].find({"$or": [{field_name: None}, {field_name: _NOT_A_DATE}]}))
        rejects = []
        for doc in docs:
            value = doc.get(field_name)
            if value is None:
                reason = f"missing field {field_name}"
            elif isinstance(value, str):
                naive = "T" in value and not value.endswith("Z") and "+" not in value[10:]
                reason = (
                    f"{field_name} is a naive timestamp string" if naive else f"{field_name} is a string, not a date"
                )
            else:
                reason = f"{field_name} is not a date"
            rejects.append((doc, reason))
        _quarantine(conn, collection, rejects, None)
        result.rejected[collection] = len(rejects)
    return result
