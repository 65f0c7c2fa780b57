"""The workspace the emulator serves: a fixture indexed once for the queries the API makes.

Indexes: projects in fixture order; nodes by id and, per project, in fixture order;
parents/children per node (across projects); instances per (project, bizdate) sorted by
``(NodeId, InstanceId)`` (and per node, built on first use); baselines per project.
Small mutations (``update_node``, ``remove_node``, ``add_edge``, ``remove_edge``) keep the
indexes consistent; the emulator serialises them with request handling.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from operator import itemgetter

from sandbox.extensions import ExtensionRegistry


class NoSuchNode(KeyError):
    """A mutation named a node the workspace does not have."""


_BY_NODE_THEN_ID = itemgetter("NodeId", "InstanceId")
_BY_BIZDATE_THEN_ID = itemgetter("Bizdate", "InstanceId")


class ServedWorkspace:
    """Read-mostly indexes over a fixture dict (the dicts themselves are shared, not copied)."""

    def __init__(self, fixture: dict):
        self.projects: list[dict] = list(fixture["projects"])
        self.project_ids = {p["ProjectId"] for p in self.projects}
        self.nodes: dict[int, dict] = {}
        self.nodes_by_project: dict[int, list[int]] = defaultdict(list)
        for node in fixture["nodes"]:
            self.nodes[node["NodeId"]] = node
            self.nodes_by_project[node["ProjectId"]].append(node["NodeId"])
        self.parents: dict[int, list[int]] = defaultdict(list)
        self.children: dict[int, list[int]] = defaultdict(list)
        for parent, child in fixture["edges"]:
            self.parents[child].append(parent)
            self.children[parent].append(child)
        self.instances: dict[tuple[int, str], list[dict]] = defaultdict(list)
        project_of = {node_id: node["ProjectId"] for node_id, node in self.nodes.items()}
        for inst in fixture.get("instances", ()):
            self.instances[(project_of[inst["NodeId"]], inst["Bizdate"])].append(inst)
        for bucket in self.instances.values():
            bucket.sort(key=_BY_NODE_THEN_ID)
        self._instances_by_node: dict[int, list[dict]] | None = None  # built on first use
        self.baselines: dict[int, dict] = {b["BaselineId"]: b for b in fixture.get("baselines", ())}
        self.baselines_by_project: dict[int, list[dict]] = defaultdict(list)
        for b in self.baselines.values():
            self.baselines_by_project[self._baseline_project(b)].append(b)
        self.options: dict[str, str] = dict(fixture.get("options", {}))
        #: project id → its ListProjectMembers records, in fixture order
        self.members: dict[int, list[dict]] = {int(k): list(v) for k, v in (fixture.get("members") or {}).items()}
        self.extensions = ExtensionRegistry(fixture.get("extensions"))   # None in the fixture: any code is known

    def _baseline_project(self, baseline: dict) -> int | None:
        if "ProjectId" in baseline:
            return baseline["ProjectId"]
        for node_id in baseline.get("NodeIds", ()):
            if node_id in self.nodes:
                return self.nodes[node_id]["ProjectId"]
        return None

    def instances_of_node(self, node_id: int) -> list[dict]:
        """A node's instances ordered by (Bizdate, InstanceId); the index is built on first use."""
        if self._instances_by_node is None:
            by_node: dict[int, list[dict]] = defaultdict(list)
            for key in sorted(self.instances):
                for inst in self.instances[key]:
                    by_node[inst["NodeId"]].append(inst)
            for bucket in by_node.values():
                bucket.sort(key=_BY_BIZDATE_THEN_ID)
            self._instances_by_node = by_node
        return self._instances_by_node.get(node_id, [])

    def instances_between(self, project_id: int, begin: date, end: date) -> list[list[dict]]:
        """Per-bizdate instance lists of a project, oldest bizdate first (not copied)."""
        out, day = [], begin
        while day <= end:
            bucket = self.instances.get((project_id, day.isoformat()))
            if bucket:
                out.append(bucket)
            day += timedelta(days=1)
        return out

    # --- mutations -------------------------------------------------------------------------

    def update_node(self, node: dict) -> None:
        """Insert a node or replace the given fields of an existing one (``NodeId`` required)."""
        node_id = node["NodeId"]
        old = self.nodes.get(node_id)
        if old is None:
            if node.get("ProjectId") not in self.project_ids:
                raise ValueError(f"new node {node_id} needs a known ProjectId, got {node.get('ProjectId')!r}")
            self.nodes[node_id] = dict(node)
            self.nodes_by_project[node["ProjectId"]].append(node_id)
            return
        merged = {**old, **node}
        if merged["ProjectId"] != old["ProjectId"]:
            if merged["ProjectId"] not in self.project_ids:
                raise ValueError(f"unknown ProjectId {merged['ProjectId']!r}")
            self.nodes_by_project[old["ProjectId"]].remove(node_id)
            self.nodes_by_project[merged["ProjectId"]].append(node_id)
        self.nodes[node_id] = merged

    def remove_node(self, node_id: int) -> None:
        """Undeploy: the node and its edges go; its run history stays, as in DataWorks."""
        node = self.nodes.pop(node_id, None)
        if node is None:
            raise NoSuchNode(node_id)
        self.nodes_by_project[node["ProjectId"]].remove(node_id)
        for parent in self.parents.pop(node_id, []):
            self.children[parent].remove(node_id)
        for child in self.children.pop(node_id, []):
            self.parents[child].remove(node_id)

    def add_edge(self, parent: int, child: int) -> None:
        for node_id in (parent, child):
            if node_id not in self.nodes:
                raise NoSuchNode(node_id)
        if child not in self.children[parent]:
            self.children[parent].append(child)
            self.parents[child].append(parent)

    def remove_edge(self, parent: int, child: int) -> None:
        if child not in self.children.get(parent, []):
            raise KeyError(f"no edge {parent} -> {child}")
        self.children[parent].remove(child)
        self.parents[child].remove(parent)
