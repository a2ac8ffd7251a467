"""Document ids: `O-<window>-<seq>` for orders, `C-<window>-<seq>` for customers, zero-padded.

An id names the window that made it and its position there, so any document can be regenerated from its id
alone. Each format exists once and yields both single ids and, for bulk paths, a whole column of ids as ASCII
bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
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

    def parse(self, ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The (window, seq) columns of formatted ids: vectorised when every id has the template's width."""
        split = len(self.prefix) + self.window_digits
        width = split + 1 + self.seq_digits
        if not all(len(i) == width for i in ids):
            pairs = [i[len(self.prefix) :].split("-") for i in ids]
            return np.array([int(w) for w, _ in pairs], dtype=np.int64), np.array([int(s) for _, s in pairs], np.int64)
        matrix = np.array(ids, dtype=f"S{width}").view(np.uint8).reshape(len(ids), width).astype(np.int64) - ord("0")
        window_digits, seq_digits = matrix[:, len(self.prefix) : split], matrix[:, split + 1 :]
        if ((window_digits < 0) | (window_digits > 9)).any() or ((seq_digits < 0) | (seq_digits > 9)).any():
            raise ValueError(f"not ids of the form {self.template!r}: {list(ids[:3])}...")
        return window_digits @ _powers(self.window_digits), seq_digits @ _powers(self.seq_digits)

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


def _powers(width: int) -> np.ndarray:
    return 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    return (ord("0") + (values.astype(np.int64)[:, None] // _powers(width)) % 10).astype(np.uint8)


ORDER_ID = IdFormat("O-", 6, 5)
CUSTOMER_ID = IdFormat("C-", 6, 4)


def order_id(window: int, seq: int) -> str:
    return ORDER_ID.format(window, seq)


def customer_id(window: int, seq: int) -> str:
    return CUSTOMER_ID.format(window, seq)
