"""Document ids: `O-<window>-<seq>` for orders, `C-<window>-<seq>` for customers, zero-padded.

An id names the window that made it and its position there, so any document can be regenerated from its id
alone. Each format exists once and yields both single ids and, for bulk paths, a whole column of ids as ASCII
bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class IdFormat:
    """`{prefix}{window:0{window_digits}d}-{seq:0{seq_digits}d}`."""

    prefix: str
    window_digits: int
    seq_digits: int

    @property
    def template(self) -> str:
        return f"{self.prefix}{{:0{self.window_digits}d}}-{{:0{self.seq_digits}d}}"

    def format(self, window: int, seq: int) -> str:
        return self.template.format(window, seq)

    def strings(self, windows: np.ndarray, seqs: np.ndarray) -> list[str]:
        """`format` over two columns, vectorised when every id has the same width."""
        matrix = self.ascii(windows, seqs)
        if matrix is None:
            template = self.template
            return [template.format(w, s) for w, s in zip(windows.tolist(), seqs.tolist(), strict=True)]
        width = matrix.shape[1]
        return matrix.view(f"S{width}").ravel().astype(f"U{width}").tolist()

    def ascii(self, windows: np.ndarray, seqs: np.ndarray) -> np.ndarray | None:
        """Row i is `format(windows[i], seqs[i])` as ASCII bytes; None when a number outgrows its digits
        (the formatted ids would then differ in width)."""
        if len(windows) and (
            windows.min() < 0 or windows.max() >= 10**self.window_digits
            or seqs.min() < 0 or seqs.max() >= 10**self.seq_digits
        ):  # fmt: skip
            return None
        prefix = np.frombuffer(self.prefix.encode(), np.uint8)
        parts = [
            np.broadcast_to(prefix, (len(windows), len(prefix))),
            _digits(windows, self.window_digits),
            np.full((len(windows), 1), ord("-"), np.uint8),
            _digits(seqs, self.seq_digits),
        ]
        return np.ascontiguousarray(np.hstack(parts))


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (ord("0") + (values.astype(np.int64)[:, None] // powers) % 10).astype(np.uint8)


ORDER_ID = IdFormat("O-", 6, 5)
CUSTOMER_ID = IdFormat("C-", 6, 4)


def order_id(window: int, seq: int) -> str:
    return ORDER_ID.format(window, seq)


def customer_id(window: int, seq: int) -> str:
    return CUSTOMER_ID.format(window, seq)
