"""Why is a node impacted? The dependency path from a changed node to it, read back along `via`.

Every reached node records the parent it was first reached through (`Reach.via`), one level up, so
following `via` from a node until depth 1 walks a shortest path back to the changed node it came
from (docs/contract.md "Explain membership"). Nothing is traversed again: each step is a search inside one
depth level of the reach that is already there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lineage.errors import NotDownstreamError, UnknownNodeError
from lineage.graph import LineageGraph, Reach
from lineage.impact import Impact

__all__ = ["explain_path", "describe_path"]


def explain_path(graph: LineageGraph, reached: Impact | Reach, target: int) -> tuple[int, ...]:
    """Node ids from the changed node to `target` (both included), each the `via` parent of the next.

    A changed node itself explains as `(target,)` when `reached` is an `Impact`. An `Impact` limited by
    `max_depth` that stops above `target` is walked again without the limit, so a deeper descendant gets
    its path (longer than the limit: callers compare) instead of being called "not downstream". Raises
    `UnknownNodeError` for an id the snapshot lacks, `NotDownstreamError` when `target` is not downstream.

    >>> from lineage.impact import compute_impact
    >>> g = LineageGraph.from_records([{"node_id": n} for n in (1, 2, 3, 4, 5)], [(1, 2), (2, 3), (1, 4), (4, 3), (3, 5)])
    >>> impact = compute_impact(g, [1])
    >>> explain_path(g, impact, 5), explain_path(g, impact, 1)
    ((1, 2, 3, 5), (1,))
    >>> explain_path(g, compute_impact(g, [1], max_depth=1), 5)   # deeper than the limit: still explained
    (1, 2, 3, 5)
    >>> explain_path(g, compute_impact(g, [4]), 2)
    Traceback (most recent call last):
    ...
    lineage.errors.NotDownstreamError: node 2 is not downstream of 4
    """
    start: tuple[int, ...] = ()
    limited = False
    if isinstance(reached, Impact):
        start, limited, reached = reached.nodes, reached.truncated_at is not None, reached.reach
    target = int(target)
    found, unknown = graph.positions([target])
    if unknown:
        raise UnknownNodeError(unknown)
    if target in start:
        return (target,)
    position = int(found[0])
    depth = reached.depth
    # depth is ascending: a node at depth d sits in rows [lo(d), lo(d + 1)) and its `via` one level up
    levels = np.searchsorted(depth, np.arange(int(depth[-1]) + 2 if depth.size else 1))
    row = _row_of(reached, position, 0, depth.size)
    if row < 0 and limited:   # beyond the depth limit, or not downstream at all: the unlimited walk tells
        try:
            return explain_path(graph, graph.descendants(start), target)
        except NotDownstreamError:
            raise NotDownstreamError(target, start) from None
    if row < 0:
        raise NotDownstreamError(target, start)
    path = [position]
    while True:
        parent, level = int(reached.via[row]), int(depth[row])
        path.append(parent)
        if level <= 1:
            break
        row = _row_of(reached, parent, int(levels[level - 1]), int(levels[level]))
        if row < 0:  # a `via` outside the reach would be a corrupt Reach; never silently shorten the path
            raise ValueError(f"via of position {path[-2]} ({parent}) is not one level up in the reach")
    return tuple(graph.node_ids(np.array(path[::-1], dtype=np.int64)).tolist())


def _row_of(reached: Reach, position: int, lo: int, hi: int) -> int:
    hits = np.flatnonzero(reached.idx[lo:hi] == position)
    return lo + int(hits[0]) if hits.size else -1


def describe_path(graph: LineageGraph, path: tuple[int, ...]) -> list[dict[str, Any]]:
    """The path as rows a human or a JSON reader uses: node id, name, depth, workspace, owner, state; the workspace's
    and owner's names beside their ids (`workspace_name`, `owner_name`: None when the snapshot has none).

    >>> g = LineageGraph.from_records([{"node_id": 1, "node_name": "ods_a"}, {"node_id": 2, "node_name": "dwd_b"}], [(1, 2)])
    >>> [(r["node_id"], r["node_name"], r["depth"]) for r in describe_path(g, (1, 2))]
    [(1, 'ods_a', 0), (2, 'dwd_b', 1)]
    """
    rows = []
    d = graph.directory
    for depth, node_id in enumerate(path):
        info = graph.node(node_id)
        rows.append({"node_id": node_id, "node_name": info.node_name, "depth": depth,
                     "project_id": info.project_id, "owner_id": info.owner_id,
                     "scheduler_type": info.scheduler_type, "workspace_name": d.workspace_name(info.project_id),
                     "owner_name": d.owner_name(info.owner_id)})
    return rows
