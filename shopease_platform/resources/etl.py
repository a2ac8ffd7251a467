"""Knobs of the MongoDB -> PostgreSQL load, as a Dagster resource."""

from __future__ import annotations

import dagster as dg


class EtlResource(dg.ConfigurableResource):
    """`batch_size` documents are read, validated and copied at a time (memory stays flat as windows grow);
    `windows_per_transaction` consecutive windows are replaced in one transaction (their fixed costs paid once);
    the rejects check fails when more than `max_reject_share` of a run's documents were quarantined."""

    batch_size: int = 10_000
    windows_per_transaction: int = 240
    max_reject_share: float = 0.01
