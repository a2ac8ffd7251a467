"""Newly inserted orders from a change stream, resumable from a token (the sensor keeps it as its cursor).

Each poll is bounded in time so it fits inside a sensor evaluation, and it always returns the stream's latest
resume token, even when nothing arrived, so a restart neither misses nor repeats events.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from pymongo.database import Database
from pymongo.errors import OperationFailure

_INSERTS = [{"$match": {"operationType": "insert"}}]


class ResumeTokenInvalid(RuntimeError):
    """The stored token cannot resume the stream (expired from the oplog or malformed)."""


@dataclass
class OrderPoll:
    orders: list[dict[str, Any]] = field(default_factory=list)
    resume_token: dict[str, Any] | None = None


def poll_new_orders(
    db: Database, resume_token: dict[str, Any] | None, max_seconds: float = 5.0, max_orders: int = 10_000
) -> OrderPoll:
    """Inserted order documents after `resume_token` (or from now, without one), for at most `max_seconds`."""
    deadline = time.monotonic() + max_seconds
    poll = OrderPoll(resume_token=resume_token)
    try:
        with db.orders.watch(_INSERTS, resume_after=resume_token, max_await_time_ms=200) as stream:
            while time.monotonic() < deadline and len(poll.orders) < max_orders:
                change = stream.try_next()
                if change is not None:
                    poll.orders.append(change["fullDocument"])
                elif poll.orders:
                    break  # drained what had arrived
            poll.resume_token = stream.resume_token
    except OperationFailure as error:
        if resume_token is not None:
            raise ResumeTokenInvalid(f"cannot resume the orders change stream: {error}") from error
        raise
    return poll
