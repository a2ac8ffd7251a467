"""The console's pure parts: stage names, rows reported, how a failed gate reads, when a run counts as passed."""

from __future__ import annotations

import dagster as dg

from shopease_platform.console import RunOutcome
from shopease_platform.console.gates import describe
from shopease_platform.console.progress import FailedCheck, StageTally, rows_written, stage_of


def test_steps_fall_into_the_four_stages() -> None:
    assert stage_of("mongo__raw_orders") == "MongoDB"
    assert stage_of("raw_orders_and_items") == "PostgreSQL raw"
    assert stage_of("raw__customers") == "PostgreSQL raw"
    assert stage_of("shopease_dbt_models") == "dbt build"
    assert stage_of("delivery__dashboard_html") == "delivery"


def test_rows_come_from_the_first_row_key_an_asset_reports() -> None:
    assert rows_written({"dagster/row_count": dg.IntMetadataValue(12), "documents_written": 3}) == 12
    assert rows_written({"documents_written": dg.IntMetadataValue(3)}) == 3
    assert rows_written({"preview": "..."}) == 0


def test_a_failed_rejects_check_names_the_windows_the_share_and_the_setting() -> None:
    check = FailedCheck(
        "rejected_documents", "raw/orders", "ERROR",
        {"rejected": 3, "documents": 89, "share": 3 / 89, "max_share": 0.01},
        "2026-03-01-00:00", "2026-03-01-21:00",
    )  # fmt: skip
    line = describe(check)
    assert "`rejected_documents` on raw/orders failed for windows 2026-03-01-00:00..2026-03-01-21:00" in line
    assert "3 of 89 orders quarantined (3.4%, above SHOPEASE_MAX_REJECT_SHARE=0.01)" in line


def test_a_run_with_a_failed_blocking_check_is_not_a_success() -> None:
    class Passed:
        success, run_id = True, "r1"

    check = FailedCheck("reconciles_with_mongodb", "raw/orders", "ERROR", {}, "a", "a")
    assert RunOutcome(Passed(), []).success  # type: ignore[arg-type]
    assert not RunOutcome(Passed(), [check]).success  # type: ignore[arg-type]
    assert not RunOutcome(None, []).success


def test_a_stage_counts_only_its_own_steps_time_when_stages_interleave() -> None:
    raw = StageTally(steps=2)
    raw.step_started("raw__stores", at=0.0)
    raw.step_stopped("raw__stores", at=1.0)
    # MongoDB's orders are written from 1.0 to 101.0, then the raw orders load
    raw.step_started("raw_orders_and_items", at=101.0)
    raw.step_stopped("raw_orders_and_items", at=104.0)
    assert raw.seconds == 4.0


def test_a_retried_step_counts_every_attempt() -> None:
    mongo = StageTally(steps=1)
    mongo.step_started("mongo__raw_orders", at=0.0)
    mongo.step_stopped("mongo__raw_orders", at=10.0)  # up for retry
    mongo.step_started("mongo__raw_orders", at=13.0)  # restarted after the backoff
    mongo.step_stopped("mongo__raw_orders", at=15.0)
    assert mongo.seconds == 12.0
