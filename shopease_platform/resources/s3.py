"""The cloud raw store as a Dagster resource: one boto3 client per run, failing fast with the setting named.

Credentials are boto3's own (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance role), which
`shopease services env` sets for the embedded SeaweedFS.
"""

from __future__ import annotations

import dagster as dg
from pydantic import PrivateAttr

from shopease_platform.s3_store.datasets import S3Location, S3StoreError
from shopease_platform.s3_store.landing import ORDERS_PER_PART
from shopease_platform.services.s3_endpoint import SETTING, ensure_bucket, s3_client
from shopease_platform.services.state import ServiceError


class S3Resource(dg.ConfigurableResource):
    """Bucket and prefix of the raw store at `endpoint_url` (SHOPEASE_S3_ENDPOINT_URL)."""

    endpoint_url: str
    bucket: str = "shopease-raw"
    prefix: str = "shopease"
    connect_timeout_s: int = 5
    orders_per_part: int = ORDERS_PER_PART

    _store: S3Location | None = PrivateAttr(default=None)

    def get_store(self) -> S3Location:
        """The raw store, its bucket checked (and created when missing) on first use."""
        if self._store is None:
            client = s3_client(self.endpoint_url, timeout_s=self.connect_timeout_s)
            try:
                ensure_bucket(client, self.endpoint_url, self.bucket, SETTING)
            except ServiceError as error:
                raise S3StoreError(str(error)) from error
            self._store = S3Location(client, self.bucket, self.prefix, self.endpoint_url)
        return self._store

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._store = None
