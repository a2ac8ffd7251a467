"""Load raw MongoDB documents into PostgreSQL, exactly and atomically.

Each call runs in the caller's transaction, and a window is replaced whole (delete-and-insert on its time
column) while dimensions are upserted by key; if anything fails, the transaction rolls back and the previous
state of the window is intact.

Orders, the bulk of the data, take a columnar path: raw BSON batches are read without building Python
objects, validated and flattened with numpy (`order_batch`, same rules and reasons as `validation.order_rows`,
which still judges every doubtful document), encoded as binary COPY rows and copied straight into the raw
tables. One thread fetches the next batch from MongoDB while another prepares the one before and the caller's
thread sends the one before that, so memory stays flat as a window grows.
Dimensions are small: they are validated in Python and staged with binary COPY, then published with one
set-based statement per table.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
from bson import json_util
from psycopg import Connection, sql
from pymongo.database import Database

from shopease_platform.etl import tables
from shopease_platform.etl.order_batch import Batch, Columns, KnownCustomers, ReferenceSets, flatten_orders
from shopease_platform.etl.pg_binary import HEADER, TRAILER, column_order, encode_rows
from shopease_platform.etl.raw_cursor import RawBatch, raw_batches
from shopease_platform.etl.tables import RawTable
from shopease_platform.etl.validation import (
    Document,
    Row,
    customer_row,
    partition,
    price_event_row,
    product_row,
    store_row,
)
from shopease_platform.prefetch import Prefetch
from shopease_platform.window import WINDOW

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


def _rejects_window(doc: Document, time_field: str | None, window: Window) -> datetime:
    """The 3-hour UTC window a rejected document belongs to: its own, when its time field lies in the range loaded
    (a range may hold many windows), else the range's first (a referenced document from elsewhere)."""
    moment = doc.get(time_field) if time_field else None
    if isinstance(moment, datetime):
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if window[0] <= moment < window[1]:
            return window[0] + (moment - window[0]) // WINDOW * WINDOW
    return window[0]


def _quarantine(
    conn: Connection,
    collection: str,
    rejects: Sequence[tuple[Document, str]],
    window: Window | None,
    time_field: str | None = None,
    replace_scope: bool = True,
) -> None:
    """Record rejected documents with their reason, original payload and window (one row per document).

    The rejects already recorded for the loaded windows are replaced (those recorded with no window when
    `window` is None); each document is recorded under its own window (`_rejects_window`).
    """
    if replace_scope:
        if window is None:
            conn.execute(
                "delete from raw.rejected_documents where collection = %s and window_start is null", (collection,)
            )
        else:
            conn.execute(
                "delete from raw.rejected_documents where collection = %s and window_start >= %s and window_start < %s",
                (collection, *window),
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
            [
                (
                    collection,
                    str(doc.get("_id")),
                    reason,
                    json_util.dumps(doc),
                    None if window is None else _rejects_window(doc, time_field, window),
                )
                for doc, reason in rejects
            ],
        )


def _load_documents(
    conn: Connection,
    table: RawTable,
    collection: str,
    docs: Sequence[Document],
    flatten: Callable[[Document], Row],
    window: Window | None,
    time_field: str | None = None,
) -> LoadResult:
    started = time.monotonic()
    result = LoadResult()
    rows, rejects = partition(docs, flatten)
    _create_staging(conn, table)
    _copy(conn, table, rows)
    result.rows[table.name] = _publish(conn, table, window)
    _quarantine(conn, collection, rejects, window, time_field)
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
    return _load_documents(conn, tables.CUSTOMERS, "customers", docs, customer_row, window, "created_at")


def load_price_events(mongo: Database, conn: Connection, window: Window) -> LoadResult:
    docs = list(mongo.price_events.find({"effective_at": {"$gte": window[0], "$lt": window[1]}}))
    return _load_documents(conn, tables.PRICE_EVENTS, "price_events", docs, price_event_row, window, "effective_at")


# --- orders ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderReferences:
    """Products and stores are small and read once per run; customers are checked per batch."""

    products: frozenset[str]
    stores: frozenset[str]

    @classmethod
    def read(cls, mongo: Database) -> OrderReferences:
        return cls(frozenset(mongo.products.distinct("_id")), frozenset(mongo.stores.distinct("_id")))


@dataclass
class EncodedBatch:
    """One batch of orders, ready to send: binary COPY rows for both tables, and the documents rejected."""

    orders: pa.Buffer
    order_count: int
    lines: pa.Buffer
    line_count: int
    rejects: list[tuple[Document, str]]

    @classmethod
    def of(cls, batch: Batch) -> EncodedBatch:
        return cls(
            encode_rows(batch.orders.fields(), len(batch.orders)),
            len(batch.orders),
            encode_rows(batch.lines.fields(), len(batch.lines)),
            len(batch.lines),
            batch.rejects,
        )


def _copy_columns(table: RawTable) -> list[str]:
    """The columns of a binary COPY into `table`, in the order `encode_rows` writes them."""
    return [f.name for f in column_order(Columns.from_rows(table, []).fields())]


_ORDER_COLUMNS = _copy_columns(tables.ORDERS)
_LINE_COLUMNS = _copy_columns(tables.ORDER_ITEMS)


def _copy_binary(conn: Connection, table: RawTable, columns: list[str], rows: pa.Buffer) -> None:
    statement = sql.SQL("copy {} ({}) from stdin (format binary)").format(
        table.qualified, sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor().copy(statement) as copy:
        copy.write(HEADER)
        copy.write(rows)
        copy.write(TRAILER)


def order_batches(
    mongo: Database,
    window: Window,
    references: OrderReferences,
    batch_size: int = BATCH_SIZE,
    stopped: Callable[[], bool] = lambda: False,
) -> Iterator[EncodedBatch]:
    """The window's orders, validated, flattened and encoded a server batch at a time.

    A thread of its own fetches the next raw batch from MongoDB while this one is worked on; `stopped` ends
    the iteration early (the consumer gave up). Customers are looked up in MongoDB as the batches need them.
    """
    sets = ReferenceSets(references.products, references.stores)
    customers = KnownCustomers(lambda ids: mongo.customers.distinct("_id", {"_id": {"$in": ids}}))
    query = {"ordered_at": {"$gte": window[0], "$lt": window[1]}}
    codec_options = mongo.orders.codec_options

    def fetch(fetch_stopped: Callable[[], bool]) -> Iterator[RawBatch]:
        with closing(raw_batches(mongo.orders, query, batch_size)) as batches:
            for raw in batches:
                if fetch_stopped():
                    return
                yield raw

    with Prefetch(fetch, name="order-fetch") as raws:
        for raw in raws:
            if stopped():
                return
            yield EncodedBatch.of(flatten_orders(raw, window, sets, customers, codec_options))


def clear_order_window(conn: Connection, window: Window) -> None:
    """Delete the window's rows from raw.orders and raw.order_items, in the caller's transaction."""
    if conn.info.encoding != "utf-8":  # text is sent as the UTF-8 bytes MongoDB holds
        conn.execute("set local client_encoding to 'UTF8'")
    for table in (tables.ORDERS, tables.ORDER_ITEMS):
        conn.execute(
            sql.SQL("delete from {} where {} >= %s and {} < %s").format(
                table.qualified, sql.Identifier(table.window_column), sql.Identifier(table.window_column)
            ),
            window,
        )


def copy_order_batch(conn: Connection, batch: EncodedBatch) -> None:
    if batch.order_count:
        _copy_binary(conn, tables.ORDERS, _ORDER_COLUMNS, batch.orders)
    if batch.line_count:
        _copy_binary(conn, tables.ORDER_ITEMS, _LINE_COLUMNS, batch.lines)


def load_orders(
    mongo: Database,
    conn: Connection,
    window: Window,
    references: OrderReferences | None = None,
    batch_size: int = BATCH_SIZE,
    after_batch: Callable[[int], None] | None = None,
) -> LoadResult:
    """Replace the window's rows in raw.orders and raw.order_items with what MongoDB holds now.

    The window's rows are deleted, then each batch is copied straight into the raw tables, all in the
    caller's transaction: a failure anywhere (including `after_batch` raising) rolls back to the previous
    state. Three threads keep MongoDB, Python and PostgreSQL busy at once: one fetches raw BSON batches,
    one validates, flattens (`order_batch`) and encodes them as binary COPY rows, and this one sends them.
    `after_batch` is called with the batch number after each batch is copied (progress, failure injection);
    a batch is what the server returns for `batch_size`.
    """
    started = time.monotonic()
    refs = references or OrderReferences.read(mongo)
    clear_order_window(conn, window)
    result = LoadResult()
    rejects: list[tuple[Document, str]] = []
    order_rows = line_rows = 0

    def produce(stopped: Callable[[], bool]) -> Iterator[EncodedBatch]:
        return order_batches(mongo, window, refs, batch_size, stopped)

    with Prefetch(produce, name="order-reader") as batches:
        for number, batch in enumerate(batches, start=1):
            copy_order_batch(conn, batch)
            order_rows += batch.order_count
            line_rows += batch.line_count
            rejects.extend(batch.rejects)
            if after_batch is not None:
                after_batch(number)
    result.rows["orders"] = order_rows
    result.rows["order_items"] = line_rows
    _quarantine(conn, "orders", rejects, window, "ordered_at")
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
