"""The dependency phase of a sync: every listed node's parents, and, when the sync does not cover every
workspace downstream of its nodes, their children followed across workspaces.

A sync of every workspace finds each edge as a parent of its child (`GetNodeParents`, one call a node).
A sync limited to some workspaces (`--project`), or one that met a workspace it may not read, would miss
the edges into the other workspaces and everything below them, so it also asks every listed node for its
children (`GetNodeChildren`) and follows each child outside the listed nodes transitively: its full record
(`GetNode`, so checks see its owner, priority, baseline and scheduler type) and its own children, until the
whole downstream of the synced nodes is in the snapshot. A node whose workspace answers 403 ends the walk
there; its workspace is recorded as unreadable (`unreadable_workspaces`), so verdicts that reach it say
that what lies below is unknown instead of reporting a silently smaller count.

INFERRED: DataWorks' read permissions are per workspace, so one 403 for a node stands for its whole
workspace (its other nodes are not asked for).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lineage.client import DataWorksClient
from lineage.errors import AccessDeniedError
from lineage.snapshot_writer import SnapshotWriter
from lineage.sync_pool import CallPool

__all__ = ["fetch_dependencies"]

Call = tuple[str, int]  # ("parents" | "children" | "node", node_id)


def fetch_dependencies(client: DataWorksClient, calls: CallPool, writer: SnapshotWriter, listed: Iterable[int],
                       reuse: set[int], follow_children: bool) -> int:
    """Fetch the edges of the `listed` node ids (parents of those not in `reuse`, whose parent edges were
    copied from the previous snapshot) into `writer`; with `follow_children`, the whole downstream too.
    Returns the number of calls made."""
    return _Walk(client, writer, set(listed), follow_children).run(calls, reuse)


class _Walk:
    def __init__(self, client: DataWorksClient, writer: SnapshotWriter, listed: set[int], follow: bool):
        self.client, self.writer, self.listed, self.follow = client, writer, listed, follow
        self.expanded: set[int] = set()        # nodes outside the listed ones already asked about
        self.project_of: dict[int, int | None] = {}

    def run(self, calls: CallPool, reuse: set[int]) -> int:
        first: list[Call] = [("parents", i) for i in sorted(self.listed) if i not in reuse]
        if self.follow:
            first += [("children", i) for i in sorted(self.listed)]
        return calls.waves(self._call, first, self._handle,
                           lambda k: "dependencies" if k == 1 else f"downstream outside the synced nodes ({k - 1})")

    def _call(self, call: Call) -> list[dict[str, Any]] | dict[str, Any] | None | AccessDeniedError:
        kind, node_id = call
        try:
            if kind == "parents":
                return self.client.get_node_parents(node_id)
            if kind == "children":
                return self.client.get_node_children(node_id)
            return self.client.get_node(node_id)
        except AccessDeniedError as exc:
            if node_id in self.listed:  # a node of a workspace the sync could list: not a permission gap
                raise
            return exc

    def _handle(self, call: Call, result: Any) -> list[Call]:
        kind, node_id = call
        if isinstance(result, AccessDeniedError):
            self._unreadable(node_id, kind, result)
            return []
        if kind == "node":  # None: undeployed since its parent named it; the parent's record of it stays
            if result is not None and result.get("NodeId") is not None:
                self.writer.add_nodes([result], listed=False, complete=True)
            return []
        self.writer.add_nodes(result, listed=False)
        others = [int(n["NodeId"]) for n in result if n.get("NodeId") is not None]
        if kind == "parents":
            self.writer.add_edges((o, node_id) for o in others)
            return []
        self.writer.add_edges((node_id, o) for o in others)
        for record in result:
            if record.get("NodeId") is not None:
                pid = record.get("ProjectId")
                self.project_of.setdefault(int(record["NodeId"]), int(pid) if pid is not None else None)
        follow: list[Call] = []
        for child in others:
            if child in self.listed or child in self.expanded:
                continue
            self.expanded.add(child)
            if self.project_of.get(child) in self.writer.unreadable:
                continue  # its workspace already refused us: the walk ends at this node
            follow += [("node", child), ("children", child)]
        return follow

    def _unreadable(self, node_id: int, kind: str, error: AccessDeniedError) -> None:
        project_id = self.project_of.get(node_id)
        if project_id is None:
            raise error  # cannot say which workspace refused: fail rather than guess
        action = {"children": "GetNodeChildren", "node": "GetNode", "parents": "GetNodeParents"}[kind]
        self.writer.add_unreadable(project_id, action, error.code or "", str(error))
