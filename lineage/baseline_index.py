"""Which baselines each node belongs to: its own `baseline_id` merged with `baseline_nodes` lists.

Held as a CSR of dense baseline codes per position, so "baselines touched by these 40k nodes" is a
gather and a bitmap over the (few hundred) baselines — no hashing, no sorting of the nodes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BaselineIndex"]


class BaselineIndex:
    """Baseline membership per dense position.

    >>> b = BaselineIndex(np.array([0, 2]), np.array([9, 7]), np.array([7, -1, -1, 5]))
    >>> b.of(np.array([0, 1, 2])).tolist(), b.of(np.array([3])).tolist(), b.of(np.array([1])).tolist()
    ([7, 9], [5], [])
    """

    def __init__(self, member_idx: np.ndarray, member_baseline: np.ndarray, own_baseline: np.ndarray):
        n = own_baseline.shape[0]
        own = np.flatnonzero(own_baseline > 0)
        idx = np.concatenate((np.asarray(member_idx, dtype=np.int64), own))
        ids = np.concatenate((np.asarray(member_baseline, dtype=np.int64), own_baseline[own].astype(np.int64)))
        self.ids, code = np.unique(ids, return_inverse=True)   # distinct baseline ids, sorted
        key = np.unique(idx * max(self.ids.size, 1) + code)    # (position, baseline) pairs, deduplicated
        self._code = (key % max(self.ids.size, 1)).astype(np.int32)
        self._ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(key // max(self.ids.size, 1), minlength=n), out=self._ptr[1:])
        self._member = np.diff(self._ptr) > 0
        for a in (self.ids, self._code, self._ptr, self._member):
            a.flags.writeable = False

    def of(self, idx: np.ndarray) -> np.ndarray:
        """Sorted distinct baseline ids of positions `idx`."""
        idx = np.asarray(idx, dtype=np.int64)
        idx = idx[self._member[idx]]
        lo = self._ptr[idx]
        count = self._ptr[idx + 1] - lo
        if bool(np.all(count == 1)):
            codes = self._code[lo]
        else:
            codes = self._code[np.repeat(lo - (np.cumsum(count) - count), count) + np.arange(int(count.sum()))]
        hit = np.zeros(self.ids.size, dtype=bool)
        hit[codes] = True
        return self.ids[hit]
