"""Landing simulated windows: grouped transactions, BSON from columns, replays, against the real replica set."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pymongo
import pytest
from bson.codec_options import CodecOptions
from pymongo.database import Database
from pymongo.errors import OperationFailure

from shopease_platform.mongo_store.order_windows import land_order_windows
from shopease_platform.mongo_store.schema import ensure_schema
from shopease_platform.mongo_store.writer import WindowDocuments, WindowSourceError, write_window, write_windows
from shopease_platform.simulation import (
    WINDOW,
    SimulationConfig,
    build_catalog,
    orders_for_window,
    restocks_for_window,
)
from tests.mongo_checks import assert_stock_reconciles

pytestmark = pytest.mark.integration
START = datetime(2026, 1, 1, tzinfo=UTC)
CONFIG = SimulationConfig(seed=5, n_products=400, start=START, base_orders_per_window=60.0)
WINDOWS = [START + timedelta(days=20) + WINDOW * k for k in range(12)]


@pytest.fixture
def db(client: pymongo.MongoClient, request: pytest.FixtureRequest) -> Iterator[Database]:
    name = "windows_" + request.node.name[:40]
    client.drop_database(name)
    database = client[name]
    ensure_schema(database)
    database.products.insert_many(build_catalog(CONFIG).documents())
    yield database
    client.drop_database(name)


def test_landed_windows_hold_exactly_the_simulated_documents(client: pymongo.MongoClient, db: Database) -> None:
    expected = [order for start in WINDOWS for order in orders_for_window(CONFIG, start)]
    progress: list[int] = []
    landed = land_order_windows(
        client,
        db,
        CONFIG,
        WINDOWS,
        orders_per_transaction=200,
        on_progress=lambda done, _: progress.append(done.windows),
    )
    stored = list(db.with_options(CodecOptions(tz_aware=True)).orders.find().sort("_id"))
    assert stored == sorted(expected, key=lambda order: order["_id"])
    assert (landed.windows, landed.orders_inserted, landed.orders_already_present) == (12, len(expected), 0)
    assert landed.order_lines == sum(len(order["items"]) for order in expected)
    assert 1 < landed.transactions < 12 and progress[-1] == 12 and progress == sorted(progress)
    assert db.customers.count_documents({}) == len({order["customer_id"] for order in expected})
    assert_stock_reconciles(db)


def test_relanding_skips_stored_windows_and_moves_stock_once(client: pymongo.MongoClient, db: Database) -> None:
    middle = WINDOWS[5]
    already = write_window(
        client, db, orders_for_window(CONFIG, middle), restocks_for_window(CONFIG, middle), middle + WINDOW
    )
    first = land_order_windows(client, db, CONFIG, WINDOWS, orders_per_transaction=10_000)
    assert first.orders_already_present == already.orders_inserted > 0
    stock = {d["_id"]: d["stock"] for d in db.products.find()}
    again = land_order_windows(client, db, CONFIG, WINDOWS, orders_per_transaction=10_000)
    assert again.orders_inserted == 0
    assert again.orders_already_present == first.orders_inserted + first.orders_already_present
    assert {d["_id"]: d["stock"] for d in db.products.find()} == stock
    assert_stock_reconciles(db)


def test_a_retried_transaction_replays_windows_it_already_took(client: pymongo.MongoClient, db: Database) -> None:
    """A transient error makes MongoDB's driver run the transaction again; lazily arriving windows are not lost."""
    attempts = []

    def transient_once() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationFailure("write conflict", 112, {"errorLabels": ["TransientTransactionError"]})

    windows = (
        WindowDocuments.from_orders(orders_for_window(CONFIG, s), restocks_for_window(CONFIG, s), s + WINDOW)
        for s in WINDOWS[:3]
    )
    written = write_windows(client, db, windows, fail_after_orders=transient_once)
    expected = sum(len(orders_for_window(CONFIG, s)) for s in WINDOWS[:3])
    assert len(attempts) == 2
    assert written.orders_inserted == db.orders.count_documents({}) == expected
    assert_stock_reconciles(db)


def test_an_aborted_group_leaves_every_window_unwritten(client: pymongo.MongoClient, db: Database) -> None:
    def fail() -> None:
        raise RuntimeError("injected failure after three windows of orders")

    windows = [
        WindowDocuments.from_orders(orders_for_window(CONFIG, s), restocks_for_window(CONFIG, s), s + WINDOW)
        for s in WINDOWS[:3]
    ]
    stock = {d["_id"]: d["stock"] for d in db.products.find()}
    with pytest.raises(RuntimeError, match="injected"):
        write_windows(client, db, windows, fail_after_orders=fail)
    assert db.orders.count_documents({}) == 0 and db.restocks.count_documents({}) == 0
    assert {d["_id"]: d["stock"] for d in db.products.find()} == stock


def test_a_failing_window_source_aborts_the_group_even_with_a_retryable_label(
    client: pymongo.MongoClient, db: Database
) -> None:
    """A stream that breaks mid-group must not let the driver retry and commit only the windows taken so far."""

    def windows() -> Iterator[WindowDocuments]:
        start = WINDOWS[0]
        yield WindowDocuments.from_orders(orders_for_window(CONFIG, start), [], start + WINDOW)
        raise OperationFailure("lost the producer", 112, {"errorLabels": ["TransientTransactionError"]})

    with pytest.raises(WindowSourceError, match="lost the producer"):
        write_windows(client, db, windows())
    assert db.orders.count_documents({}) == 0


class _InsertCounter(pymongo.monitoring.CommandListener):
    def __init__(self) -> None:
        self.inserts: list[str] = []

    def started(self, event: pymongo.monitoring.CommandStartedEvent) -> None:
        if event.command_name == "insert":
            self.inserts.append(event.command["insert"])

    def succeeded(self, event: pymongo.monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: pymongo.monitoring.CommandFailedEvent) -> None:
        pass


def test_a_group_of_windows_is_inserted_in_batches_not_window_by_window(
    client: pymongo.MongoClient, db: Database
) -> None:
    counter = _InsertCounter()
    host, port = client.address
    watched: pymongo.MongoClient = pymongo.MongoClient(
        host, port, directConnection=True, tz_aware=True, event_listeners=[counter]
    )
    try:
        landed = land_order_windows(watched, watched[db.name], CONFIG, WINDOWS, orders_per_transaction=100_000)
    finally:
        watched.close()
    assert landed.transactions == 1 and landed.windows == len(WINDOWS)
    assert counter.inserts.count("orders") == 1 and counter.inserts.count("order_items") == 1
