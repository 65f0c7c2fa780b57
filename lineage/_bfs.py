"""Compressed adjacency (CSR) and the multi-source BFS over it.

The traversal itself is scipy's compiled `breadth_first_order`; several start nodes become one
search from a virtual super-source row appended for the call. Depths come from the BFS order
itself (a node's parent always sits earlier in the queue, so levels are contiguous runs found by
`searchsorted`), and the result is put in (depth, position) order with a bitmap and a radix sort.
Everything is O(nodes + edges reached) plus O(n) bitmap work, with no per-node Python code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order

__all__ = ["Csr", "bfs"]

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
    _ones: list[np.ndarray] = field(default_factory=list, repr=False)  # shared edge weights, built once

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
        order, pred = breadth_first_order(_with_super_source(csr, starts), n, directed=True,
                                          return_predecessors=True)
        order = order[1:]  # the super-source; its children (the starts) come next
    rest = order[k:]
    if rest.size == 0:
        return _EMPTY, _EMPTY, _EMPTY
    where = np.empty(pred.size, dtype=np.int32)
    where[order] = np.arange(order.size, dtype=np.int32)
    parent_at = where[pred[rest]]  # queue position of each node's BFS parent: nondecreasing
    sizes: list[int] = []
    done, level_end = 0, k
    while done < rest.size and (max_depth is None or len(sizes) < max_depth):
        end = int(np.searchsorted(parent_at, level_end, side="left"))
        sizes.append(end - done)
        done, level_end = end, k + end
    rest = rest[:done]
    depth_of = np.empty(n, dtype=np.int16 if len(sizes) < 2**15 else np.int32)
    depth_of[rest] = np.repeat(np.arange(1, len(sizes) + 1, dtype=depth_of.dtype), sizes)
    seen = np.zeros(n, dtype=bool)
    seen[rest] = True
    idx = np.flatnonzero(seen).astype(np.int32)  # by position ...
    depth = depth_of[idx]
    by_depth = np.argsort(depth, kind="stable")  # ... then stably by depth (a radix sort)
    idx = idx[by_depth]
    return idx, depth[by_depth].astype(np.int32), pred[idx].astype(np.int32)


def _distinct(starts: np.ndarray, n: int) -> np.ndarray:
    """Sorted distinct positions (a bitmap for big sets: O(n) beats hashing or sorting them)."""
    if starts.size <= 256:
        return np.unique(starts)
    seen = np.zeros(n, dtype=bool)
    seen[starts] = True
    return np.flatnonzero(seen).astype(np.int32)


def _with_super_source(csr: Csr, starts: np.ndarray) -> csr_matrix:
    """The adjacency plus one extra row n whose neighbours are `starts`."""
    n, e = csr.n, csr.indices.size
    if not csr._ones:  # benign race: two threads may both build it; either result is fine
        ones = np.ones(e + n)
        ones.flags.writeable = False
        csr._ones.append(ones)
    indices = np.concatenate((csr.indices, starts))
    indptr = np.concatenate((csr.indptr, np.array([e + starts.size], dtype=csr.indptr.dtype)))
    return csr_matrix((csr._ones[0][:indices.size], indices, indptr), shape=(n + 1, n + 1), copy=False)
