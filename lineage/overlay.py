"""Node changes from regular `node-change-*` events laid over a snapshot's graph data.

`apply_overlay(data, changes)` returns new `GraphData` (the snapshot's is never modified) from which a
`LineageGraph` is built like any other, so every check sees the overlay through the ordinary API:

- **updated**: the node's attributes (scheduler_type — a freeze is PAUSE —, owner, priority,
  baseline, cron, name, workspace) take the event's values; its edges and run history stay.
- **deleted** (undeploy, purge): the node and its edges leave the graph; `node in graph` is False.
- **created** (or updated for a node the snapshot lacks): the node joins the graph with its
  attributes but **without edges** — the message carries the node's record, not its dependencies —
  until the next sync fetches its parents and children. Known limit, stated on the details page.
  A node the snapshot has that is created again (redeployed) keeps the snapshot's dependencies.

Changes are applied in order; the last one per node wins. Cost is O(nodes + edges) array work
(about 10 ms per 100k nodes), plus the `LineageGraph` build.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

from lineage.graph_load import GraphData

__all__ = ["NodeChange", "apply_overlay", "OVERLAY_COLUMNS"]

# The graph's node columns an event record can set (the rest of `nodes` the graph does not read).
OVERLAY_COLUMNS = ("node_name", "project_id", "cron_express", "scheduler_type", "program_type", "owner_id",
                   "priority", "baseline_id")


@dataclass(frozen=True)
class NodeChange:
    """One node change: `change` is created | updated | deleted; `node` holds snake_case columns.
    `seq` orders changes (the store's arrival order); `received_at` tells which snapshot covers it."""

    node_id: int
    change: str
    node: Mapping[str, Any]
    seq: int = 0
    received_at: datetime | None = None


def apply_overlay(data: GraphData, changes: Iterable[NodeChange]) -> GraphData:
    """`data` with `changes` applied (see the module docstring); `data` itself is left untouched."""
    latest: dict[int, NodeChange] = {}
    for change in changes:
        latest[int(change.node_id)] = change
    if not latest:
        return data
    nodes = data.nodes
    n = nodes.num_rows
    ids = nodes.column("node_id").to_numpy().astype(np.int64)
    pos = np.searchsorted(ids, np.fromiter(latest, dtype=np.int64, count=len(latest)))
    known = {nid: int(p) for nid, p in zip(latest, pos.tolist(), strict=True) if p < n and ids[p] == nid}

    keep = np.ones(n, dtype=bool)
    appended: list[dict[str, Any]] = []
    source: list[int] = []                  # old position an appended row replaces, -1 for a new node
    for node_id, change in latest.items():
        p = known.get(node_id, -1)
        if change.change == "deleted":
            if p >= 0:
                keep[p] = False
            continue
        base = _row(nodes, p) if p >= 0 else {"node_id": node_id, "listed": True}
        row = {**base, **{c: change.node[c] for c in OVERLAY_COLUMNS if change.node.get(c) is not None}}
        row.setdefault("scheduler_type", "NORMAL")
        row["listed"] = True
        appended.append(row)
        source.append(p)
        if p >= 0:
            keep[p] = False                 # replaced by its appended row
    extra = pa.Table.from_pylist([{**r, "idx": 0} for r in appended], schema=nodes.schema)
    combined = pa.concat_tables([nodes, extra]).combine_chunks()
    chosen = np.concatenate([np.flatnonzero(keep), n + np.arange(len(appended))])
    order = np.argsort(combined.column("node_id").to_numpy()[chosen], kind="stable")
    take = chosen[order]
    new_pos = np.full(n + len(appended), -1, dtype=np.int64)
    new_pos[take] = np.arange(take.size)
    old_to_new = new_pos[:n].copy()
    src = np.asarray(source, dtype=np.int64)
    replaced = src >= 0
    old_to_new[src[replaced]] = new_pos[n + np.flatnonzero(replaced)]

    new_nodes = _renumber(combined.take(pa.array(take)))
    parent, child = old_to_new[data.parent], old_to_new[data.child]
    live = (parent >= 0) & (child >= 0)
    members = old_to_new[data.member_idx]
    member_live = members >= 0
    # Run-time history follows a replaced node; a new node has none (null row).
    runtime_rows = np.where(take < n, take, -1)
    appended_at = take >= n
    runtime_rows[appended_at] = src[take[appended_at] - n]
    runtimes = _take_with_nulls(data.runtimes, runtime_rows)
    history = data.history
    same_positions = bool(keep.sum() + len(appended) == n and not (src < 0).any())
    return replace(
        data, nodes=new_nodes,
        parent=parent[live].astype(np.int32), child=child[live].astype(np.int32),
        member_idx=members[member_live].astype(np.int32), member_baseline=data.member_baseline[member_live],
        runtimes=_renumber(runtimes),
        history=history if same_positions else (lambda: _remap_history(history(), old_to_new)))


def _renumber(table: pa.Table) -> pa.Table:
    """`table` with its `idx` column set to 0..n-1 (row i = position i)."""
    i = table.schema.get_field_index("idx")
    return table.set_column(i, "idx", pa.array(np.arange(table.num_rows, dtype=np.int32)))


def _row(nodes: pa.Table, p: int) -> dict[str, Any]:
    return nodes.slice(p, 1).to_pylist()[0]


def _take_with_nulls(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """`table.take(rows)` where -1 gives a row of nulls."""
    nulls = pa.Table.from_pylist([{name: None for name in table.schema.names}], schema=table.schema)
    padded = pa.concat_tables([table, nulls]).combine_chunks()
    return padded.take(pa.array(np.where(rows >= 0, rows, table.num_rows)))


def _remap_history(history: pa.Table, old_to_new: np.ndarray) -> pa.Table:
    """Run history with positions renumbered (order is kept: the renumbering is monotonic)."""
    i = history.schema.get_field_index("idx")
    idx = old_to_new[history.column(i).to_numpy()]
    live = idx >= 0
    kept = history.filter(pa.array(live))
    return kept.set_column(i, "idx", pa.array(idx[live].astype(np.int32)))
