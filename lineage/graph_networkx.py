"""The networkx face of a `LineageGraph`, for analysts and notebooks (never the hot path).

Built in bulk from the index's columns: one `add_nodes_from` and one `add_edges_from`, no per-node
lookups through the index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import networkx as nx

    from lineage.graph import LineageGraph

__all__ = ["to_digraph", "NODE_ATTRIBUTES"]

#: NodeInfo fields carried as node attributes (node_id is the networkx node key)
NODE_ATTRIBUTES = ("node_name", "project_id", "owner_id", "priority", "baseline_id", "scheduler_type",
                   "cron_express", "program_type", "listed")
_NULLABLE_INTS = ("project_id", "priority", "baseline_id")


def to_digraph(graph: LineageGraph) -> nx.DiGraph:
    """The cycle DAG (MANUAL nodes left out) keyed by node id, NodeInfo fields as node attributes.

    >>> from lineage.graph import LineageGraph
    >>> g = LineageGraph.from_records([{"node_id": 1}, {"node_id": 2, "priority": 8}], [(1, 2)])
    >>> dg = to_digraph(g)
    >>> list(dg.edges), dg.nodes[2]["priority"], dg.nodes[1]["priority"]
    ([(1, 2)], 8, None)
    """
    import networkx as nx

    keep = np.flatnonzero(~graph.is_manual)
    columns = {name: graph.column(name)[keep].tolist() for name in NODE_ATTRIBUTES}
    for name in _NULLABLE_INTS:
        columns[name] = [v if v >= 0 else None for v in columns[name]]
    digraph = nx.DiGraph(snapshot_id=graph.snapshot_id)
    digraph.add_nodes_from((node_id, dict(zip(NODE_ATTRIBUTES, values)))
                           for node_id, *values in zip(graph.node_ids(keep).tolist(), *columns.values()))
    parent, child = graph.edge_positions()
    digraph.add_edges_from(zip(graph.node_ids(parent).tolist(), graph.node_ids(child).tolist()))
    return digraph
