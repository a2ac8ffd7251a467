"""A transaction left open by a killed process is aborted before the next run needs the documents it locked."""

from __future__ import annotations

import subprocess
import sys

import pymongo
import pytest
from pymongo.errors import PyMongoError

from shopease_platform.console.recovery import abort_orphaned_transactions
from shopease_platform.services import Endpoints

pytestmark = pytest.mark.integration

_HOLDER = """
import sys, time, pymongo
client = pymongo.MongoClient(sys.argv[1])
products = client["orphan_test"].products
session = client.start_session()
session.start_transaction()
products.update_one({"_id": "P1"}, {"$inc": {"stock": -1}}, session=session)
print("locked", flush=True)
time.sleep(600)
"""


def _write_in_transaction(client: pymongo.MongoClient) -> None:
    with client.start_session() as session, session.start_transaction():
        client["orphan_test"].products.update_one({"_id": "P1"}, {"$inc": {"stock": 1}}, session=session)


def test_killed_holder_transaction_is_aborted(services: Endpoints) -> None:
    client: pymongo.MongoClient = pymongo.MongoClient(services.mongodb_uri)
    client["orphan_test"].products.replace_one({"_id": "P1"}, {"_id": "P1", "stock": 10}, upsert=True)
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, services.mongodb_uri], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    finally:
        holder.kill()
        holder.wait(10)
    with pytest.raises(PyMongoError, match=r"WriteConflict|write conflict"):
        _write_in_transaction(client)  # the orphan still holds P1

    assert abort_orphaned_transactions(services.mongodb_uri, 5) >= 1
    _write_in_transaction(client)
    assert client["orphan_test"].products.find_one({"_id": "P1"})["stock"] == 11
    client.drop_database("orphan_test")
    client.close()
