"""Nodes by name as well as by id, for analysts: `Snapshot.node("ods_trade_order_di")`.

DataWorks does not make node names unique (two workspaces often both have a `dwd_order_di`), so a name
that several nodes share is an error that lists them (`AmbiguousNodeError`), never a silent pick. A
name no node has raises `UnknownNodeNameError` with the names that contain it. The index is built once
per graph, on first use; MANUAL nodes are found too (they are nodes, just not in the cycle DAG).
Candidates name their workspace and owner by name (`LineageGraph.directory`) when the snapshot knows them.
Suggestions for an unknown name: names that contain it, else the closest spellings (`difflib`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import numpy as np

from lineage.errors import AmbiguousNodeError, UnknownNodeError, UnknownNodeNameError
from lineage.graph import LineageGraph

__all__ = ["NodeNames", "NodeRef"]

NodeRef = int | str     # a node id, a node id as text, or a node name
SUGGESTIONS = 5


class NodeNames:
    """Resolve node names and ids of one graph to node ids.

    >>> g = LineageGraph.from_records([{"node_id": 1, "node_name": "ods_a"}, {"node_id": 2, "node_name": "dwd_a"},
    ...                                {"node_id": 3, "node_name": "dwd_a"}], [])
    >>> names = NodeNames(g)
    >>> names.resolve("ods_a"), names.resolve(2), names.resolve("3")
    (1, 2, 3)
    >>> names.resolve("dwd_a")
    Traceback (most recent call last):
    ...
    lineage.errors.AmbiguousNodeError: 2 nodes are named 'dwd_a': 2 (workspace ?, owner ?); 3 (workspace ?, owner ?); pass the node id instead
    >>> names.resolve("dwd_b")
    Traceback (most recent call last):
    ...
    lineage.errors.UnknownNodeNameError: no node named 'dwd_b' in the snapshot (close names: dwd_a)
    """

    def __init__(self, graph: LineageGraph):
        self.graph = graph
        self._index: dict[str, list[int]] | None = None

    def _positions(self) -> dict[str, list[int]]:
        if self._index is None:
            index: dict[str, list[int]] = {}
            for i, name in enumerate(self.graph.column("node_name").tolist()):
                if name is not None:
                    index.setdefault(name, []).append(i)
            self._index = index
        return self._index

    def resolve(self, node: NodeRef) -> int:
        """The node id of `node`: an int is an id; a text is a name, else (all digits) an id."""
        if isinstance(node, (int, np.integer)) and not isinstance(node, bool):
            return self._known(int(node))
        text = str(node).strip()
        hits = self._positions().get(text)
        if hits and len(hits) == 1:
            return int(self.graph.node_ids(np.array(hits))[0])
        if hits:
            raise AmbiguousNodeError(text, self._candidates(hits))
        if text.isdigit():
            return self._known(int(text))
        raise UnknownNodeNameError(text, self._suggest(text))

    def resolve_all(self, nodes: NodeRef | Iterable[NodeRef]) -> list[int]:
        """`resolve` of one node or of each of several, in order."""
        if isinstance(nodes, (int, str, np.integer)):
            return [self.resolve(nodes)]
        return [self.resolve(n) for n in nodes]

    def _known(self, node_id: int) -> int:
        if node_id not in self.graph:
            raise UnknownNodeError([node_id])
        return node_id

    def _candidates(self, positions: list[int]) -> list[tuple[int, str | None, str | None]]:
        idx = np.array(positions)
        projects = self.graph.column("project_id")[idx].tolist()
        owners = self.graph.column("owner_id")[idx].tolist()
        ids = self.graph.node_ids(idx).tolist()
        d = self.graph.directory
        return [(i, d.workspace(p), d.owner_label(o)) for i, p, o in zip(ids, projects, owners)]

    def _suggest(self, text: str) -> list[str]:
        wanted = text.lower()
        containing = sorted((n for n in self._positions() if wanted in n.lower()), key=lambda n: (len(n), n))[:SUGGESTIONS]
        return containing or difflib.get_close_matches(text, list(self._positions()), n=SUGGESTIONS, cutoff=0.6)
