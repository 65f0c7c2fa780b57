"""Compressed adjacency (CSR) and the multi-source BFS over it.

The traversal itself is scipy's compiled `breadth_first_order`; several start nodes become one
search from a virtual super-source row (kept per graph, so a search copies no edges). Depths come
from the BFS order itself (a node's parent always sits earlier in the queue, so levels are
contiguous runs found by `searchsorted`). The result is put in (depth, position) order by sorting
(depth, position) keys when the reach is small, and with a bitmap and a radix sort when it is a
sizeable part of the graph: most searches reach a few hundred of 100,000 nodes, and an O(n) pass
costs them more than the search. No per-node Python code either way.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order

__all__ = ["Csr", "bfs"]

# Below 1/SMALL_REACH_SHARE of the graph, ordering the reached nodes by sorting beats an O(n) bitmap.
SMALL_REACH_SHARE = 16
_EMPTY = np.zeros(0, dtype=np.int32)
_EMPTY.flags.writeable = False


@dataclass(frozen=True, eq=False)
class Csr:
    """Adjacency of n nodes: the neighbours of `i` are `indices[indptr[i]:indptr[i + 1]]`.

    >>> g = Csr.from_edges(np.array([0, 0, 1]), np.array([1, 2, 2]), 3)
    >>> g.indptr.tolist(), g.indices.tolist(), g.reversed().indices.tolist()
    ([0, 2, 3, 3], [1, 2, 2], [0, 0, 1])
    """

    indptr: np.ndarray   # int32 (int64 past 2**31 edges), n + 1
    indices: np.ndarray  # int32
    matrix: csr_matrix = field(repr=False)
    _super: list[_SuperSource] = field(default_factory=list, repr=False)  # built on the first multi-start search
    _super_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def n(self) -> int:
        return int(self.indptr.shape[0] - 1)

    @classmethod
    def from_edges(cls, src: np.ndarray, dst: np.ndarray, n: int) -> Csr:
        """CSR of edges src → dst; a plain read when `src` is already sorted (as snapshots store it)."""
        src = np.asarray(src, dtype=np.int32)
        dst = np.asarray(dst, dtype=np.int32)
        if src.size > 1 and bool(np.any(src[1:] < src[:-1])):
            order = np.argsort(src, kind="stable")
            src, dst = src[order], dst[order]
        kind = np.int32 if src.size < 2**31 - 1 else np.int64
        indptr = np.zeros(n + 1, dtype=kind)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
        indices = np.ascontiguousarray(dst)
        for a in (indptr, indices):
            a.flags.writeable = False
        matrix = csr_matrix((np.ones(indices.size), indices, indptr), shape=(n, n))
        return cls(indptr, indices, matrix)

    def reversed(self) -> Csr:
        """The CSR of every edge turned around (children → parents): scipy's compiled CSR → CSC."""
        csc = self.matrix.tocsc()
        indptr, indices = csc.indptr, csc.indices.astype(np.int32, copy=False)
        for a in (indptr, indices):
            a.flags.writeable = False
        return Csr(indptr, indices, csr_matrix((csc.data, indices, indptr), shape=csc.shape, copy=False))


def bfs(csr: Csr, starts: np.ndarray, max_depth: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(positions, depth, via) of every node reachable from `starts`, start nodes excluded.

    Depth is the shortest hop count from the nearest start; `via` is the BFS-tree parent, a neighbour
    at depth - 1 (a start node for depth 1). Sorted by depth, then position.

    >>> g = Csr.from_edges(np.array([0, 0, 1, 2, 3]), np.array([1, 2, 3, 3, 4]), 5)
    >>> [a.tolist() for a in bfs(g, np.array([0]))]
    [[1, 2, 3, 4], [1, 1, 2, 3], [0, 0, 1, 3]]
    >>> [a.tolist() for a in bfs(g, np.array([1, 2]), max_depth=1)]
    [[3], [1], [1]]
    """
    n = csr.n
    starts = _distinct(np.asarray(starts, dtype=np.int32), n)
    k = int(starts.size)
    if k == 0 or max_depth == 0 or not bool(np.any(csr.indptr[starts + 1] > csr.indptr[starts])):
        return _EMPTY, _EMPTY, _EMPTY  # nothing to walk (leaves): skip the O(n) set-up
    if k == 1:
        order, pred = breadth_first_order(csr.matrix, int(starts[0]), directed=True, return_predecessors=True)
    else:
        with csr._super_lock:
            if not csr._super:
                csr._super.append(_SuperSource.build(csr))
            order, pred = csr._super[0].search(starts)
        order = order[1:]  # the super-source; its children (the starts) come next
    rest = order[k:]
    if rest.size == 0:
        return _EMPTY, _EMPTY, _EMPTY
    where = np.empty(pred.size, dtype=np.int32)
    where[order] = np.arange(order.size, dtype=np.int32)
    parent_at = where[pred[rest]]  # queue position of each node's BFS parent: nondecreasing
    # One binary search per level: on a Python list while that is cheap to make, else in numpy.
    find = partial(bisect_left, parent_at.tolist()) if rest.size <= 4096 else parent_at.searchsorted
    sizes: list[int] = []
    done, level_end = 0, k
    while done < rest.size and (max_depth is None or len(sizes) < max_depth):
        end = int(find(level_end))
        sizes.append(end - done)
        done, level_end = end, k + end
    rest = rest[:done]
    levels = np.arange(1, len(sizes) + 1, dtype=np.int64)
    if rest.size * SMALL_REACH_SHARE < n:  # few nodes: sort (depth, position) keys
        keys = np.sort(np.repeat(levels * n, sizes) + rest)
        idx = (keys % n).astype(np.int32)
        depth = (keys // n).astype(np.int32)
        return idx, depth, pred[idx].astype(np.int32)
    depth_of = np.empty(n, dtype=np.int16 if len(sizes) < 2**15 else np.int32)
    depth_of[rest] = np.repeat(levels.astype(depth_of.dtype), sizes)
    seen = np.zeros(n, dtype=bool)
    seen[rest] = True
    idx = np.flatnonzero(seen).astype(np.int32)  # by position ...
    depth = depth_of[idx]
    by_depth = np.argsort(depth, kind="stable")  # ... then stably by depth (a radix sort)
    idx = idx[by_depth]
    return idx, depth[by_depth].astype(np.int32), pred[idx].astype(np.int32)


def _distinct(starts: np.ndarray, n: int) -> np.ndarray:
    """Sorted distinct positions (a bitmap for big sets: O(n) beats hashing or sorting them)."""
    if starts.size == 1:
        return starts
    if starts.size <= 256:
        return np.unique(starts)
    seen = np.zeros(n, dtype=bool)
    seen[starts] = True
    return np.flatnonzero(seen).astype(np.int32)


@dataclass(frozen=True, eq=False)
class _SuperSource:
    """The adjacency plus one extra row n whose neighbours are the starts of the current search.

    Built once per graph with room for n starts after the edges; a search writes its starts there
    and ends row n after them (callers hold the graph's lock). Appending the row for each search
    instead copied every edge and re-checked the matrix: most of the cost of a small search.
    """

    matrix: csr_matrix
    edges: int

    @classmethod
    def build(cls, csr: Csr) -> _SuperSource:
        n, e = csr.n, csr.indices.size
        indices = np.zeros(e + n, dtype=csr.indices.dtype)
        indices[:e] = csr.indices
        indptr = np.empty(n + 2, dtype=np.int64 if e + n >= 2**31 else csr.indptr.dtype)
        indptr[:n + 1] = csr.indptr
        indptr[n + 1] = e + n   # full size while scipy checks it; each search sets its own end
        return cls(csr_matrix((np.ones(e + n), indices, indptr), shape=(n + 1, n + 1), copy=False), e)

    def search(self, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`breadth_first_order` from the super-source with `starts` as its neighbours."""
        n, end = self.matrix.shape[0] - 1, self.edges + starts.size
        self.matrix.indices[self.edges:end] = starts
        self.matrix.indptr[n + 1] = end
        return breadth_first_order(self.matrix, n, directed=True, return_predecessors=True)
