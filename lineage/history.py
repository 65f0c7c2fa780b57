"""Per-node run history (bizdate, status of every instance), read from the snapshot on first use.

The graph index does not need it to be ready, and it is the largest table of a snapshot (a month of
instances), so it is loaded once, lazily, into compact per-node arrays (positions → CSR slices).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import numpy as np
import pyarrow as pa

__all__ = ["RunHistory"]


class RunHistory:
    """(bizdate, status) rows of each node, by dense position, oldest first.

    >>> import datetime as dt
    >>> rows = pa.table({"idx": pa.array([1, 1], pa.int32()), "bizdate": [dt.date(2026, 1, 1), dt.date(2026, 1, 2)],
    ...                  "status": ["SUCCESS", "FAILURE"]})
    >>> RunHistory(lambda: rows, 2).of(1)
    [(datetime.date(2026, 1, 1), 'SUCCESS'), (datetime.date(2026, 1, 2), 'FAILURE')]
    """

    def __init__(self, load: Callable[[], pa.Table], node_count: int):
        self._load = load
        self._n = node_count
        self._lock = threading.Lock()
        self._arrays: tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str | None, ...]] | None = None

    def _ready(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str | None, ...]]:
        with self._lock:
            if self._arrays is None:
                table = self._load()
                idx = table["idx"].to_numpy()
                indptr = np.zeros(self._n + 1, dtype=np.int64)
                np.cumsum(np.bincount(idx, minlength=self._n), out=indptr[1:])
                bizdate = table["bizdate"].to_numpy(zero_copy_only=False)
                status = table["status"].combine_chunks().dictionary_encode()
                codes = status.indices.fill_null(-1).to_numpy().astype(np.int16)
                self._arrays = (indptr, bizdate, codes, (*status.dictionary.to_pylist(), None))
            return self._arrays

    def of(self, i: int) -> list[tuple[date, str | None]]:
        """(bizdate, status) of every instance of position `i`, oldest first."""
        indptr, bizdate, codes, statuses = self._ready()
        lo, hi = int(indptr[i]), int(indptr[i + 1])
        return [(d, statuses[c]) for d, c in zip(bizdate[lo:hi].astype(object).tolist(), codes[lo:hi].tolist())]
