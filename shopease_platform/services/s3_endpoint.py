"""Reaching an S3 endpoint: a boto3 client with short timeouts, and a check that names the setting to fix.

Credentials come from boto3's own chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance
role...) unless given explicitly, as they are for the embedded SeaweedFS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from shopease_platform.services.state import ServiceError

SETTING = "SHOPEASE_S3_ENDPOINT_URL"


@dataclass(frozen=True)
class S3Credentials:
    access_key_id: str
    secret_access_key: str
    region: str

    def as_env(self) -> dict[str, str]:
        """The standard AWS variables, so every S3 client in a child process finds these keys."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": self.region,
        }


def s3_client(endpoint_url: str, credentials: S3Credentials | None = None, timeout_s: float = 5) -> Any:
    """A boto3 S3 client that gives up after `timeout_s` per attempt and retries twice at most.

    Path-style addressing works with every S3-compatible server and with AWS alike.
    """
    config = Config(
        connect_timeout=timeout_s,
        read_timeout=max(timeout_s, 30),
        retries={"max_attempts": 2, "mode": "standard"},
        s3={"addressing_style": "path"},
    )
    keys: dict[str, str] = {}
    if credentials is not None:
        keys = {
            "aws_access_key_id": credentials.access_key_id,
            "aws_secret_access_key": credentials.secret_access_key,
            "region_name": credentials.region,
        }
    session = boto3.session.Session()
    if credentials is None and session.region_name is None:
        keys["region_name"] = "us-east-1"
    return session.client("s3", endpoint_url=endpoint_url, config=config, **keys)


def ensure_bucket(client: Any, endpoint_url: str, bucket: str, setting: str = SETTING) -> None:
    """Check the bucket is reachable, creating it when missing; every failure names the endpoint's setting."""
    try:
        client.head_bucket(Bucket=bucket)
        return
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code"))
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise ServiceError(
                f"S3 bucket {bucket!r} at {setting}={endpoint_url} is not usable ({code}): check SHOPEASE_S3_BUCKET "
                "and the AWS credentials (AWS_ACCESS_KEY_ID / AWS_PROFILE)"
            ) from error
    except BotoCoreError as error:
        raise unreachable(endpoint_url, error, setting) from error
    try:
        client.create_bucket(Bucket=bucket)
    except (ClientError, BotoCoreError) as error:
        raise ServiceError(f"could not create S3 bucket {bucket!r} at {setting}={endpoint_url}: {error}") from error


def unreachable(endpoint_url: str, error: Exception, setting: str = SETTING) -> ServiceError:
    return ServiceError(f"S3 is unreachable at {setting}={endpoint_url}: {str(error).splitlines()[0][:300]}")
