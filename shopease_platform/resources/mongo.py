"""MongoDB as a Dagster resource: one client per run, failing fast with the setting named."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pymongo
from pydantic import PrivateAttr
from pymongo.database import Database

from shopease_platform.services.probes import check_mongodb


class MongoResource(dg.ConfigurableResource):
    """The operational store. `uri` must reach a replica set (transactions, change streams)."""

    uri: str
    database: str = "shopease"
    connect_timeout_s: int = 5
    orders_per_transaction: int = 15_000
    setting_name: str = "SHOPEASE_MONGODB_URI"

    _client: pymongo.MongoClient | None = PrivateAttr(default=None)

    def get_client(self) -> pymongo.MongoClient:
        if self._client is None:
            check_mongodb(self.uri, self.connect_timeout_s, self.setting_name)
            timeout_ms = self.connect_timeout_s * 1000
            self._client = pymongo.MongoClient(
                self.uri, tz_aware=True, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms
            )
        return self._client

    def get_database(self) -> Database[dict[str, Any]]:
        return self.get_client()[self.database]

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
