"""The cloud version's raw store: the simulated business as Parquet windows in an S3 bucket, each behind a manifest."""

from shopease_platform.s3_store.datasets import Dataset, Manifest, S3Location, S3StoreError, read_manifest

__all__ = ["Dataset", "Manifest", "S3Location", "S3StoreError", "read_manifest"]
