"""Atomic, exactly replaceable datasets of Parquet parts in S3: the parts first, then a manifest that names them.

A dataset is one entity's window (`orders/window=2026-11-01T06/`) or an unwindowed entity (`products/`). Writing
one puts its Parquet parts, each named after its own SHA-256, then `_manifest.json`, which lists every part with
its checksum and counts, then deletes whatever else is under the dataset's folder. Readers start from the
manifest and read only the parts it names, checking each checksum:

* a dataset without a manifest does not exist (a write that failed before its manifest left nothing visible);
* a single PUT replaces a manifest, so a reader sees the old parts or the new ones, never a mix;
* the same content gives the same keys and bytes, so re-writing a window leaves identical objects.

S3 offers no multi-object transaction: parts of an interrupted re-write are orphans until the next write of
that dataset deletes them; no reader ever opens them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from botocore.exceptions import BotoCoreError, ClientError

from shopease_platform.services.s3_endpoint import unreachable
from shopease_platform.window import window_label, window_of_label

MANIFEST = "_manifest.json"
FORMAT_VERSION = 1


class S3StoreError(RuntimeError):
    """The raw store in S3 could not be read or written; the message names the endpoint setting or the key."""


@dataclass(frozen=True)
class S3Location:
    """A bucket and key prefix reached through a boto3 client; every key of the raw store is below the prefix."""

    client: Any
    bucket: str
    prefix: str
    endpoint_url: str = ""

    def key(self, *parts: str) -> str:
        return "/".join([self.prefix.strip("/"), *parts]) if self.prefix else "/".join(parts)

    def call(self, operation: str, **kwargs: Any) -> Any:
        """One S3 call; a connection failure names SHOPEASE_S3_ENDPOINT_URL."""
        try:
            return getattr(self.client, operation)(Bucket=self.bucket, **kwargs)
        except BotoCoreError as error:
            raise S3StoreError(str(unreachable(self.endpoint_url, error))) from error

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is no such key."""
        try:
            return self.call("get_object", Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise S3StoreError(f"could not read s3://{self.bucket}/{key}: {error}") from error

    def put(self, key: str, body: bytes) -> None:
        try:
            self.call("put_object", Key=key, Body=body)
        except ClientError as error:
            raise S3StoreError(f"could not write s3://{self.bucket}/{key}: {error}") from error

    def keys(self, prefix: str) -> Iterator[str]:
        """Every key under `prefix` (paginated listing)."""
        token: dict[str, str] = {}
        while True:
            try:
                page = self.call("list_objects_v2", Prefix=prefix, **token)
            except ClientError as error:
                raise S3StoreError(f"could not list s3://{self.bucket}/{prefix}: {error}") from error
            for item in page.get("Contents", []):
                yield item["Key"]
            if not page.get("IsTruncated"):
                return
            token = {"ContinuationToken": page["NextContinuationToken"]}

    def delete(self, keys: Sequence[str]) -> None:
        for start in range(0, len(keys), 1000):
            chunk = [{"Key": key} for key in keys[start : start + 1000]]
            try:
                self.call("delete_objects", Delete={"Objects": chunk, "Quiet": True})
            except ClientError as error:
                raise S3StoreError(f"could not delete under s3://{self.bucket}/{self.prefix}: {error}") from error


@dataclass(frozen=True)
class Dataset:
    """One entity, and one window of it (None: an unwindowed entity such as the catalog)."""

    entity: str
    window_start: datetime | None = None

    def folder(self, store: S3Location) -> str:
        if self.window_start is None:
            return store.key(self.entity) + "/"
        return store.key(self.entity, f"window={window_label(self.window_start)}") + "/"

    def manifest_key(self, store: S3Location) -> str:
        return self.folder(store) + MANIFEST


@dataclass(frozen=True)
class Part:
    """One Parquet object of a dataset: its role (`orders`, `stock`, ...), and what a reader checks."""

    key: str
    role: str
    rows: int
    bytes: int
    sha256: str
    totals: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    """What a dataset holds: its parts, and totals (counts, revenue) a reconciliation compares with."""

    entity: str
    window: str | None
    parts: tuple[Part, ...]
    totals: dict[str, float]
    version: int = FORMAT_VERSION

    def parts_of(self, role: str) -> list[Part]:
        return [p for p in self.parts if p.role == role]

    def to_json(self) -> bytes:
        document = asdict(self)
        return (json.dumps(document, sort_keys=True, indent=1) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """The manifest written by `to_json`; another format version is refused rather than misread."""
        document = json.loads(data)
        if document.get("version") != FORMAT_VERSION:
            raise ValueError(f"format version {document.get('version')!r}, this reader knows {FORMAT_VERSION}")
        parts = tuple(Part(**part) for part in document.pop("parts"))
        return cls(parts=parts, **document)


def parquet_bytes(table: pa.Table) -> bytes:
    """The table as one Parquet object, written the same way every time (same content, same bytes)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", row_group_size=65_536, write_statistics=True)
    return sink.getvalue().to_pybytes()


@dataclass(frozen=True)
class PartData:
    role: str
    table: pa.Table
    totals: dict[str, float] = field(default_factory=dict)


def write_dataset(
    store: S3Location,
    dataset: Dataset,
    parts: Sequence[PartData],
    totals: dict[str, float],
    before_manifest: Callable[[], None] | None = None,
) -> Manifest:
    """Replace the dataset with `parts`: objects first, the manifest last, then the leftovers of earlier writes.

    `before_manifest` runs after the parts are written and before the manifest (tests inject failures there).
    """
    folder = dataset.folder(store)
    written: list[Part] = []
    for index, part in enumerate(parts):
        body = parquet_bytes(part.table)
        digest = hashlib.sha256(body).hexdigest()
        key = f"{folder}{part.role}-{index:04d}-{digest[:16]}.parquet"
        store.put(key, body)
        written.append(Part(key, part.role, part.table.num_rows, len(body), digest, dict(part.totals)))
    if before_manifest is not None:
        before_manifest()
    window = None if dataset.window_start is None else window_label(dataset.window_start)
    manifest = Manifest(dataset.entity, window, tuple(written), dict(totals))
    store.put(dataset.manifest_key(store), manifest.to_json())
    named = {part.key for part in written} | {dataset.manifest_key(store)}
    store.delete(sorted(key for key in store.keys(folder) if key not in named))
    return manifest


def read_manifest(store: S3Location, dataset: Dataset) -> Manifest | None:
    """The dataset's manifest, or None: the dataset does not exist (never written, or its write did not finish)."""
    data = store.get(dataset.manifest_key(store))
    if data is None:
        return None
    try:
        return Manifest.from_json(data)
    except (ValueError, TypeError, KeyError) as error:
        raise S3StoreError(f"malformed manifest s3://{store.bucket}/{dataset.manifest_key(store)}: {error}") from error


def windows_of(store: S3Location, entity: str) -> list[datetime]:
    """The windows of `entity` that exist (have a manifest), in time order."""
    found = []
    for key in store.keys(store.key(entity) + "/window="):
        folder, _, name = key.rpartition("/")
        if name == MANIFEST:
            found.append(window_of_label(folder.rsplit("window=", 1)[1]))
    return sorted(found)


class CorruptPart(ValueError):
    """A part is missing, does not match its manifest's checksum, or is not readable Parquet."""


def open_part(store: S3Location, part: Part) -> pq.ParquetFile:
    """The part, checked against its manifest entry, ready to be read a record batch at a time."""
    body = store.get(part.key)
    if body is None:
        raise CorruptPart("part named by the manifest is missing")
    if len(body) != part.bytes or hashlib.sha256(body).hexdigest() != part.sha256:
        raise CorruptPart(f"checksum mismatch ({len(body)} bytes, manifest says {part.bytes})")
    try:
        return pq.ParquetFile(pa.BufferReader(body))
    except (pa.ArrowException, OSError) as error:
        raise CorruptPart(f"not readable Parquet: {error}") from error
