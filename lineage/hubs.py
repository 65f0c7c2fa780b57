"""The busiest hubs: nodes with the most descendants, i.e. whose freeze or failure reaches furthest.

Exact counts need one traversal per node. Up to `EXACT_UP_TO` cycle-DAG nodes every node is counted
(≈ 0.1 ms each); above that only `candidates` nodes are, chosen by the number of downstream paths of
up to three hops (one sparse product per hop) — the figures of those nodes are still exact, but a hub
outside the candidates could be missed, and `HubRanking.exhaustive` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from lineage.graph import LineageGraph

__all__ = ["HubRanking", "rank_hubs", "EXACT_UP_TO"]

EXACT_UP_TO = 50_000


@dataclass(frozen=True, eq=False)
class HubRanking:
    """Positions ranked by descendant count (most first), with their direct child counts."""

    idx: np.ndarray            # int64 positions, best first
    descendants: np.ndarray    # int64 descendant count of each
    children: np.ndarray       # int64 cycle-DAG children of each
    exhaustive: bool           # False when only the candidates were counted


def rank_hubs(graph: LineageGraph, top: int = 10, *, candidates: int = 2_000) -> HubRanking:
    """The `top` nodes with the most descendants (ties: more children first, then node id).

    >>> g = LineageGraph.from_records([{"node_id": n} for n in (1, 2, 3, 4)], [(1, 2), (2, 3), (2, 4)])
    >>> r = rank_hubs(g, top=2)
    >>> g.node_ids(r.idx).tolist(), r.descendants.tolist(), r.children.tolist(), r.exhaustive
    ([1, 2], [3, 2], [1, 2], True)
    """
    if top < 0:
        raise ValueError(f"top must be >= 0, got {top}")
    live = np.flatnonzero(~graph.is_manual)
    children = graph.child_counts().astype(np.int64)
    exhaustive = live.size <= EXACT_UP_TO
    pool = live if exhaustive else _likely_hubs(graph, live, candidates)
    counts = np.fromiter((len(graph.descendants_of_positions(np.array([i], dtype=np.int32))) for i in pool.tolist()),
                         dtype=np.int64, count=pool.size)
    order = np.lexsort((graph.node_ids(pool), -children[pool], -counts))[:top]
    best = pool[order].astype(np.int64)
    return HubRanking(best, counts[order], children[best], exhaustive)


def _likely_hubs(graph: LineageGraph, live: np.ndarray, k: int) -> np.ndarray:
    """The `k` live positions with the most downstream paths of one to three hops."""
    parent, child = graph.edge_positions()
    n = graph.node_count
    down = csr_matrix((np.ones(parent.size), (parent, child)), shape=(n, n))
    score = np.zeros(n)
    for _ in range(3):
        score = down @ (1.0 + score)
    return live[np.argsort(-score[live], kind="stable")[:k]]
