"""Topological levels of the cycle DAG, built once per graph: the order every longest-path walk follows.

A node's *level* is the longest hop count from a node without parents, so every edge climbs at least one
level; any sub-DAG is then walked level by level in one global order, with no topological sort per
question. Edges are kept sorted by their parent's level, so a sub-DAG's edges come out already grouped.
Built by Kahn's algorithm one level at a time over arrays (tens of passes, no per-node Python).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TopoLevels"]


@dataclass(frozen=True, eq=False)
class TopoLevels:
    """Levels of n nodes and their edges ordered by the parent's level.

    Nodes on a cycle (DataWorks refuses cycles; only a corrupt snapshot has one) never become ready: they
    get the level after the last one, so a walk still ends.

    >>> t = TopoLevels.build(4, np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3]))
    >>> t.level.tolist(), t.parent.tolist(), t.child.tolist(), t.edge_level.tolist()
    ([0, 1, 1, 2], [0, 0, 1, 2], [1, 2, 3, 3], [0, 0, 1, 1])
    """

    level: np.ndarray        # int32 per node
    parent: np.ndarray       # int32 per edge, sorted by level[parent]
    child: np.ndarray        # int32 per edge
    edge_level: np.ndarray   # int32 level of each edge's parent, ascending
    levels: int              # number of levels (cycle nodes included)

    @classmethod
    def build(cls, n: int, parent: np.ndarray, child: np.ndarray) -> TopoLevels:
        parent = np.asarray(parent, dtype=np.int32)
        child = np.asarray(child, dtype=np.int32)
        by_parent = np.argsort(parent, kind="stable")
        src, dst = parent[by_parent], child[by_parent]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
        indeg = np.bincount(dst, minlength=n)
        level = np.full(n, -1, dtype=np.int32)
        ready = np.flatnonzero(indeg == 0)
        depth = 0
        while ready.size:
            level[ready] = depth
            counts = indptr[ready + 1] - indptr[ready]
            edges = np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(indptr[ready] - (np.cumsum(counts) - counts),
                                                                              counts)
            children, hits = np.unique(dst[edges], return_counts=True)
            indeg[children] -= hits
            ready = children[indeg[children] == 0]
            depth += 1
        stuck = level < 0
        levels = depth + 1 if stuck.any() else depth
        level[stuck] = depth
        edge_level = level[parent]
        order = np.argsort(edge_level, kind="stable")
        return cls(level, parent[order], child[order], edge_level[order], levels)
