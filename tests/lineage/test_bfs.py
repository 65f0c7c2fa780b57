"""The compiled BFS against a plain one on a graph big enough that reaches are a small share of it.

Small reaches take the sorted-keys path and multi-start searches reuse one super-source row, so
searches of different sizes on the same graph must not see each other's starts.
"""

from __future__ import annotations

import random

import numpy as np

from lineage._bfs import SMALL_REACH_SHARE, Csr, bfs

from tests.lineage.test_properties import bfs_distances


def random_dag(n: int, edges: int, seed: int) -> tuple[Csr, list[tuple[int, int]]]:
    rng = random.Random(seed)
    pairs = set()
    while len(pairs) < edges:
        a, b = rng.randrange(n), rng.randrange(n)
        if a != b:
            pairs.add((min(a, b), max(a, b)) if rng.random() < 0.5 else (max(a, b), min(a, b)))
    order = list(range(n))
    rng.shuffle(order)
    rank = {node: i for i, node in enumerate(order)}
    dag = sorted((a, b) if rank[a] < rank[b] else (b, a) for a, b in pairs)
    src, dst = np.array([a for a, _ in dag]), np.array([b for _, b in dag])
    return Csr.from_edges(src, dst, n), dag


def test_small_and_large_reaches_and_changing_start_sets_match_a_plain_bfs():
    csr, edges = random_dag(4000, 8000, seed=3)
    nodes, edge_set = [{"node_id": i, "scheduler_type": "NORMAL"} for i in range(4000)], set(edges)
    rng = random.Random(5)
    shares = {"small": 0, "large": 0}
    for _ in range(300):
        starts = rng.sample(range(4000), rng.choice([1, 1, 2, 3, 7, 40]))
        max_depth = rng.choice([None, None, 1, 3])
        idx, depth, via = bfs(csr, np.array(starts), max_depth)
        expected = bfs_distances(nodes, edges, starts, max_depth)
        assert dict(zip(idx.tolist(), depth.tolist())) == expected
        assert list(zip(depth.tolist(), idx.tolist())) == sorted(zip(depth.tolist(), idx.tolist()))
        for node, d, parent in zip(idx.tolist(), depth.tolist(), via.tolist()):
            assert (parent, node) in edge_set and (0 if parent in starts else expected[parent]) == d - 1
        if expected:
            shares["small" if len(expected) * SMALL_REACH_SHARE < 4000 else "large"] += 1
    assert shares["small"] > 50 and shares["large"] > 20, shares   # both ways of ordering were checked
