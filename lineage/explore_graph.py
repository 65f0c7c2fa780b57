"""Graph answers for `lineage.explore.Snapshot` that build DataFrames: why a node is downstream (the
dependency path), when nodes next run, and the networkx graph with its MANUAL nodes put back.

The path comes from `lineage.explain` (the same code as `opsguard impact --explain`); next runs from
`lineage.schedule`; nothing here traverses the graph its own way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lineage.errors import UnknownNodeError
from lineage.explain import describe_path, explain_path
from lineage.frames import node_frame
from lineage.graph import LineageGraph
from lineage.graph_networkx import NODE_ATTRIBUTES
from lineage.impact import compute_impact
from lineage.schedule import next_fire_time

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["explain_frame", "next_runs_frame", "with_manual_nodes"]

_PATH_COLUMNS = ["depth", "node_id", "node_name", "workspace", "project_id", "owner", "owner_id", "scheduler_type"]


def explain_frame(graph: LineageGraph, changed: Sequence[int], target: int,
                  workspaces: Mapping[int, str]) -> pd.DataFrame:
    """The dependency path from `changed` to `target`, one row per hop (`describe_path` rows + workspace).

    >>> g = LineageGraph.from_records([{"node_id": 1, "node_name": "a"}, {"node_id": 2, "node_name": "b"}], [(1, 2)])
    >>> explain_frame(g, [1], 2, {})[["depth", "node_name"]].values.tolist()
    [[0, 'a'], [1, 'b']]
    """
    impact = compute_impact(graph, list(changed))
    if impact.unknown:
        raise UnknownNodeError(impact.unknown)
    path = explain_path(graph, impact, target)
    frame = pd.DataFrame(describe_path(graph, path))
    frame["workspace"] = [workspaces.get(p) if p is not None else None for p in frame["project_id"]]
    frame["owner"] = [graph.directory.owner(o) for o in frame["owner_id"]]
    frame = frame[_PATH_COLUMNS]
    frame.attrs["path"] = " → ".join(str(name or node_id) for node_id, name in zip(frame["node_id"],
                                                                                     frame["node_name"]))
    return frame


def next_runs_frame(graph: LineageGraph, node_ids: Sequence[int], after: datetime, tz: tzinfo,
                    workspaces: Mapping[int, str]) -> pd.DataFrame:
    """`node_frame` rows of `node_ids` (order kept) with `cron_express`, `next_run` (aware, in `tz`; NaT when
    none within the horizon) and `bizdate` (the run date's previous day)."""
    idx, unknown = graph.positions(node_ids)
    if unknown:
        raise UnknownNodeError(unknown)
    frame = node_frame(graph, idx, workspaces)
    crons = graph.column("cron_express")[idx].tolist()
    frame["cron_express"] = crons
    runs = [next_fire_time(c, after, tz) for c in crons]
    frame["next_run"] = pd.to_datetime(pd.Series(runs, dtype=object), utc=True).dt.tz_convert(tz)
    frame["bizdate"] = pd.to_datetime(pd.Series([r.date() - timedelta(days=1) if r else None for r in runs],
                                                dtype=object))
    return frame


def with_manual_nodes(graph: LineageGraph, edges: pd.DataFrame) -> nx.DiGraph:
    """A copy of the cycle DAG with the MANUAL nodes and every stored edge touching them added; each node
    carries `manual` (True for MANUAL ones). `edges` is the snapshot's edges table (parent_id, child_id)."""
    dg = graph.to_networkx().copy()
    for attributes in dg.nodes.values():
        attributes["manual"] = False
    manual = np.flatnonzero(graph.is_manual)
    columns = {name: graph.column(name)[manual].tolist() for name in NODE_ATTRIBUTES}
    for name in ("project_id", "priority", "baseline_id"):
        columns[name] = [v if v >= 0 else None for v in columns[name]]
    dg.add_nodes_from((node_id, {**dict(zip(NODE_ATTRIBUTES, values)), "manual": True})
                      for node_id, *values in zip(graph.node_ids(manual).tolist(), *columns.values()))
    ids = set(graph.node_ids(manual).tolist())
    touching = edges[edges["parent_id"].isin(ids) | edges["child_id"].isin(ids)]
    dg.add_edges_from(zip(touching["parent_id"].tolist(), touching["child_id"].tolist()))
    dg.graph["manual_nodes_left_out"] = 0
    return dg
