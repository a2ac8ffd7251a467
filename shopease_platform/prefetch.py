"""Produce work items in a background thread, a bounded number ahead of the consumer.

Both bulk paths are a producer that holds the GIL (numpy and dict building, BSON decoding) feeding a consumer
that mostly waits on a server (MongoDB inserts, PostgreSQL COPY). Running them in two threads lets the Python
work of the next item overlap the server work of the current one.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

Producer = Callable[[Callable[[], bool]], Iterator[Any]]


class Prefetch:
    """Iterate `produce(should_stop)` in a thread, at most `depth` items ahead of the consumer.

    Exceptions in the producer are raised in the consumer; if the consumer stops early (an error, or a
    callback raising), the producer is told to stop and is waited for before the error propagates, so no
    thread outlives the `with` block.
    """

    _DONE = object()

    def __init__(self, produce: Producer, depth: int = 2, name: str = "prefetch") -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(produce,), name=name, daemon=True)

    def _run(self, produce: Producer) -> None:
        items = produce(self._stop.is_set)
        try:
            for item in items:
                if not self._put(item):
                    return
        except BaseException as error:  # handed to the consumer, which raises it
            self._put(_Failure(error))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # releases server cursors when the consumer stopped early
        self._put(self._DONE)

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __enter__(self) -> Iterator[Any]:
        self._thread.start()
        return self._items()

    def _items(self) -> Iterator[Any]:
        while True:
            item = self._queue.get()
            if item is self._DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        while self._thread.is_alive():
            with suppress(queue.Empty):
                self._queue.get(timeout=0.1)
        self._thread.join()


@dataclass
class _Failure:
    error: BaseException
