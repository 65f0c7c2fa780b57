"""The critical path of a selected sub-DAG: the longest chain of dependencies, nodes weighted by run time.

When every node starts as soon as all its selected parents have finished, a node finishes at its own
run time plus the latest finish among its parents; the last finish over the selection is how long
the whole selection takes, and the chain that produces it is the *critical path*. Edges to or from
nodes outside the selection are ignored (those nodes do not run in it).

Computed over arrays: the graph's topological levels are built once (`lineage.topo`); a selection keeps
the edges whose both ends it holds (one mask over the graph's edges, already ordered by level and child)
and walks the levels in order, each one vectorised scatter-max (`np.maximum.at`). Several weightings (columns of `weights`, e.g. one
per kind of bizdate) share that walk. Cost per question: O(graph edges + selection edges x columns)
array work and one Python step per level, never per node.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lineage.graph import LineageGraph

__all__ = ["SubDag", "sub_dag", "longest_finish", "critical_path"]


@dataclass(frozen=True, eq=False)
class SubDag:
    """The cycle-DAG edges among positions `idx`, numbered locally (node k is position `idx[k]`) and grouped
    by the graph's topological level (`LineageGraph.topological_levels`): level L's nodes are
    `order[node_bounds[L]:node_bounds[L + 1]]`, the edges leaving them `edge_bounds[L]:edge_bounds[L + 1]`."""

    idx: np.ndarray          # int64 positions, the local numbering
    local: np.ndarray        # int32 per graph position: its local number, -1 outside the selection
    src: np.ndarray          # int32 local parent of each edge
    dst: np.ndarray          # int32 local child of each edge
    order: np.ndarray        # int64 local nodes by level
    node_bounds: np.ndarray  # int64, levels + 1
    edge_bounds: np.ndarray  # int64, levels + 1

    @property
    def size(self) -> int:
        return int(self.idx.size)


def sub_dag(graph: LineageGraph, idx: np.ndarray) -> SubDag:
    """The sub-DAG of the positions `idx` (distinct), in their order.

    >>> g = LineageGraph.from_records([{"node_id": n} for n in (1, 2, 3, 4)], [(1, 2), (2, 3), (3, 4)])
    >>> s = sub_dag(g, np.array([2, 1, 3]))            # nodes 3, 2, 4: edges 2 -> 3 and 3 -> 4
    >>> s.src.tolist(), s.dst.tolist(), s.order.tolist()
    ([1, 0], [0, 2], [1, 0, 2])
    """
    topo = graph.topological_levels()
    idx = np.asarray(idx, dtype=np.int64)
    local = np.full(graph.node_count, -1, dtype=np.int32)
    local[idx] = np.arange(idx.size, dtype=np.int32)
    inside = local >= 0
    keep = np.flatnonzero(np.take(inside, topo.parent) & np.take(inside, topo.child))   # take: 2x a fancy index
    src = np.take(local, np.take(topo.parent, keep))
    dst = np.take(local, np.take(topo.child, keep))
    edge_level = np.take(topo.edge_level, keep)
    levels = np.arange(topo.levels + 1)
    node_level = topo.level[idx]
    order = np.argsort(node_level.astype(np.uint16) if topo.levels < 2**16 else node_level, kind="stable")
    return SubDag(idx, local, src, dst, order, np.searchsorted(node_level[order], levels),
                  np.searchsorted(edge_level, levels))


def longest_finish(sub: SubDag, weights: np.ndarray) -> np.ndarray:
    """finish[k] = weights[k] + the largest finish among k's parents in `sub` (0 without any).

    `weights` is (nodes,) or, for several weightings walked together, (columns, nodes); non-negative. The
    result has its shape. Levels are walked in order: a node's parents all sit on lower levels, so its
    finish is final when its level comes.

    >>> g = LineageGraph.from_records([{"node_id": n} for n in (1, 2, 3, 4)], [(1, 2), (1, 3), (2, 4), (3, 4)])
    >>> s = sub_dag(g, np.arange(4))
    >>> longest_finish(s, np.array([1.0, 5.0, 2.0, 1.0])).tolist()
    [1.0, 6.0, 3.0, 7.0]
    >>> longest_finish(s, np.array([[1.0, 5.0, 2.0, 1.0], [1.0, 0.0, 2.0, 1.0]])).tolist()
    [[1.0, 6.0, 3.0, 7.0], [1.0, 1.0, 3.0, 4.0]]
    """
    weights = np.asarray(weights, dtype=np.float64)
    finish = np.array(weights, order="C", ndmin=2)   # one row per weighting: numpy's fast 1-D scatter
    nb, eb = sub.node_bounds, sub.edge_bounds
    levels = [(sub.order[nb[k]:nb[k + 1]], sub.src[eb[k]:eb[k + 1]], sub.dst[eb[k]:eb[k + 1]])
              for k in range(nb.size - 1)]
    flat = finish.reshape(-1)                      # (weighting, node) pairs side by side, one 1-D walk
    start = np.zeros_like(flat)                    # the latest finish among the parents seen so far
    offsets = (np.arange(finish.shape[0], dtype=np.int64) * finish.shape[1])[:, None]
    for nodes, src, dst in levels:
        if finish.shape[0] > 1:
            nodes, src, dst = ((a + offsets).reshape(-1) for a in (nodes, src, dst))
        if nodes.size:
            flat[nodes] += start[nodes]
        if src.size:
            np.maximum.at(start, dst, np.take(flat, src))
    return finish[0] if weights.ndim == 1 else finish


def critical_path(graph: LineageGraph, sub: SubDag, weights: np.ndarray, finish: np.ndarray) -> np.ndarray:
    """Local node numbers of a longest path, first node first, for one column (`weights`, `finish` 1-D).

    It ends at the latest finish and walks back through a parent whose finish is exactly where the node
    started; among equal choices the smallest node id wins (a stable answer). Empty when `sub` is.

    >>> g = LineageGraph.from_records([{"node_id": n} for n in (1, 2, 3, 4)], [(1, 2), (1, 3), (2, 4), (3, 4)])
    >>> s = sub_dag(g, np.arange(4))
    >>> w = np.array([1.0, 5.0, 2.0, 1.0])
    >>> g.node_ids(s.idx[critical_path(g, s, w, longest_finish(s, w))]).tolist()
    [1, 2, 4]
    """
    if not sub.size:
        return np.zeros(0, dtype=np.int64)
    ends = np.flatnonzero(finish == finish.max())
    node = int(ends[np.argmin(graph.node_ids(sub.idx[ends]))])
    path = [node]
    seen = {node}
    while True:
        parents = sub.local[graph.parents(int(sub.idx[node]))]
        parents = parents[parents >= 0]
        began = finish[node] - weights[node]
        if not parents.size or began <= 0:
            break
        fits = parents[np.abs(finish[parents] - began) <= 1e-9 * max(1.0, began)]
        fits = fits[[int(p) not in seen for p in fits.tolist()]] if fits.size else fits
        if not fits.size:
            break
        node = int(fits[np.argmin(graph.node_ids(sub.idx[fits]))])
        path.append(node)
        seen.add(node)
    return np.array(path[::-1], dtype=np.int64)
