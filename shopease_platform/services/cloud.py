"""The cloud version's S3 endpoint in the services life cycle: which endpoint is in force, its status, its bucket.

With SHOPEASE_RAW_STORE=s3 the endpoint is SHOPEASE_S3_ENDPOINT_URL when set (nothing is started; credentials
come from the standard AWS variables or profile), otherwise the embedded SeaweedFS with its own access keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shopease_platform.services import seaweedfs
from shopease_platform.services.s3_endpoint import SETTING, S3Credentials, ensure_bucket, s3_client
from shopease_platform.services.state import ServerRecord
from shopease_platform.settings import Settings


@dataclass(frozen=True)
class S3Endpoint:
    url: str
    source: str  # "embedded" or "external"
    credentials: S3Credentials | None  # None: boto3's own chain (AWS variables, profile, role)

    def as_env(self) -> dict[str, str]:
        return {"SHOPEASE_S3_ENDPOINT_URL": self.url, **(self.credentials.as_env() if self.credentials else {})}


def s3_endpoint(settings: Settings, embedded_port: Callable[[], int]) -> S3Endpoint | None:
    """The endpoint in force, or None when the raw store is MongoDB; `embedded_port` raises when it is down."""
    if settings.raw_store != "s3":
        return None
    if settings.s3_endpoint_url:
        return S3Endpoint(settings.s3_endpoint_url, "external", None)
    return S3Endpoint(seaweedfs.endpoint_for(embedded_port()), "embedded", seaweedfs.credentials(settings.home))


def prepare_s3(endpoint: S3Endpoint, settings: Settings) -> None:
    """Make sure the raw store's bucket exists (an external one may have to be created beforehand)."""
    client = s3_client(endpoint.url, endpoint.credentials, settings.connect_timeout_s)
    ensure_bucket(client, endpoint.url, settings.s3_bucket)


def s3_status(settings: Settings, record: ServerRecord | None) -> list[str]:
    """The `services status` line of the S3 endpoint (none when the raw store is MongoDB)."""
    if settings.raw_store != "s3":
        return []
    if settings.s3_endpoint_url:
        return [f"{'s3':9} external  {SETTING}={settings.s3_endpoint_url} bucket {settings.s3_bucket}"]
    if record is not None and record.is_running():
        return [
            f"{'seaweedfs':9} running   pid {record.pid}, {seaweedfs.endpoint_for(record.port)}, data {record.data_dir}"
        ]
    return [f"{'seaweedfs':9} stopped   (start with `shopease services up`)"]
