"""The lineage graph of one snapshot: a numpy index for the hot path, networkx for notebooks.

Positions (`idx`) are the snapshot's dense node positions, in node_id order, so the sorted node_id
array maps ids to positions with `np.searchsorted`. The cycle DAG leaves MANUAL nodes out: no
traversal enters or leaves them. PAUSE (frozen) and SKIP (dry-run) nodes are in the DAG.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, NewType

import numpy as np

from lineage._bfs import Csr, bfs
from lineage.baseline_index import BaselineIndex
from lineage.cron import CronTable
from lineage.directory import Directory
from lineage.errors import SnapshotError, UnknownNodeError
from lineage.graph_load import GraphData, load_snapshot
from lineage.graph_networkx import to_digraph
from lineage.graph_records import load_records
from lineage.history import RunHistory
from lineage.topo import TopoLevels

if TYPE_CHECKING:
    import networkx as nx

    from lineage.names import NodeNames

__all__ = ["NodeId", "NodeInfo", "Reach", "LineageGraph"]

NodeId = NewType("NodeId", int)

_CODED = ("scheduler_type", "program_type", "owner_id", "cron_express")
_INT_COLUMNS = {"project_id": np.int64, "priority": np.int32, "baseline_id": np.int64}


@dataclass(frozen=True)
class NodeInfo:
    """One node's attributes, built on demand from the columns (never stored per node)."""

    node_id: int
    node_name: str | None
    project_id: int | None
    owner_id: str | None
    priority: int | None
    baseline_id: int | None
    scheduler_type: str | None
    cron_express: str | None
    program_type: str | None
    listed: bool


@dataclass(frozen=True, eq=False)
class Reach:
    """A multi-source BFS result, start nodes excluded, sorted by depth then position."""

    idx: np.ndarray    # int32 positions reached
    depth: np.ndarray  # int32 shortest hop count from the nearest start (>= 1)
    via: np.ndarray    # int32 position of the neighbour through which each was first reached

    def __len__(self) -> int:
        return int(self.idx.shape[0])


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


class LineageGraph:
    """Graph questions about one snapshot, answered from integer-indexed arrays.

    >>> g = LineageGraph.from_records([{"node_id": 1}, {"node_id": 2}, {"node_id": 3}], [(1, 2), (2, 3)])
    >>> g.node_ids(g.descendants([1]).idx).tolist(), g.node(3).scheduler_type
    ([2, 3], 'NORMAL')
    """

    def __init__(self, data: GraphData):
        nodes = data.nodes
        self.snapshot_id: str = data.snapshot_id
        self.synced_at: datetime | None = data.synced_at
        self.history_to: date | None = data.history_to
        #: workspaces the sync could not read: the snapshot does not know what lies below their nodes
        self.unreadable_project_ids: tuple[int, ...] = tuple(data.unreadable_project_ids)
        #: names of workspaces, owners and baselines (`lineage.directory`): what a person reads beside the ids
        self.directory: Directory = data.directory
        ids = nodes["node_id"].to_numpy()
        if not _ascending(ids):
            raise SnapshotError(f"snapshot {self.snapshot_id}: nodes are not stored in node_id order")
        self.node_count: int = int(ids.size)
        self._ids = _frozen(np.ascontiguousarray(ids, dtype=np.int64))
        self._names = nodes["node_name"].combine_chunks()
        self._codes: dict[str, np.ndarray] = {}
        self._categories: dict[str, tuple[str, ...]] = {}
        for col in _CODED:
            encoded = nodes[col].combine_chunks().dictionary_encode()
            self._codes[col] = _frozen(encoded.indices.fill_null(-1).to_numpy().astype(np.int32))
            self._categories[col] = tuple(encoded.dictionary.to_pylist())
        self._ints = {col: _frozen(nodes[col].fill_null(-1).to_numpy().astype(kind))
                      for col, kind in _INT_COLUMNS.items()}
        self._listed = _frozen(nodes["listed"].fill_null(True).to_numpy(zero_copy_only=False).astype(bool))
        self.is_manual = self._scheduler_mask("MANUAL")
        self.is_paused = self._scheduler_mask("PAUSE")
        self.is_skipped = self._scheduler_mask("SKIP")
        in_dag = ~(self.is_manual[data.parent] | self.is_manual[data.child])
        self._down = Csr.from_edges(data.parent[in_dag], data.child[in_dag], self.node_count)
        self._up = self._down.reversed()
        self.edge_count: int = int(in_dag.sum())
        projects = nodes["project_id"].fill_null(-1).combine_chunks().dictionary_encode()
        self._project_code = _frozen(projects.indices.to_numpy().astype(np.int32))
        self._projects = _frozen(projects.dictionary.to_numpy())
        self._baselines = BaselineIndex(data.member_idx, data.member_baseline, self._ints["baseline_id"])
        runtimes = data.runtimes  # row i = position i
        self._median = _frozen(runtimes["median_seconds"].fill_null(np.nan).to_numpy())
        self._group_median = _frozen(runtimes["group_median_seconds"].fill_null(np.nan).to_numpy())
        self._last_success = _frozen(runtimes["last_success_bizdate"].to_numpy(zero_copy_only=False))
        self._history = RunHistory(data.history, self.node_count)
        self._lock = threading.Lock()
        self._nx: nx.DiGraph | None = None
        self._cron_table: CronTable | None = None
        self._topo: TopoLevels | None = None
        self._objects: dict[str, np.ndarray] = {}

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def from_snapshot(cls, path: str | os.PathLike[str]) -> LineageGraph:
        """The graph of a snapshot file, read-only via Arrow; raises `SnapshotError` if unreadable."""
        return cls(load_snapshot(path))

    @classmethod
    def from_records(cls, nodes: Iterable[Mapping[str, Any]], edges: Iterable[tuple[int, int]],
                     instances: Iterable[Mapping[str, Any]] = (), baselines: Mapping[int, Iterable[int]] | None = None,
                     snapshot_id: str = "test", synced_at: datetime | None = None,
                     unreadable_project_ids: Iterable[int] = (), directory: Directory | None = None) -> LineageGraph:
        """A graph of snake_case node dicts (`node_id` required, `scheduler_type` default NORMAL) and id pairs.

        `instances` are dicts of node_id, bizdate (date), status, begin_running_time / finish_time (epoch
        ms); `baselines` maps baseline id → member node ids. Edges naming unknown nodes raise UnknownNodeError.
        `unreadable_project_ids`: workspaces a sync could not read (see `unreadable_project_ids`); `directory`:
        names of workspaces, owners and baselines.

        >>> LineageGraph.from_records([{"node_id": 5, "priority": 8}], []).node(5).priority
        8
        """
        data = load_records(nodes, edges, instances, baselines, snapshot_id, synced_at)
        return cls(replace(data, unreadable_project_ids=tuple(sorted({int(p) for p in unreadable_project_ids})),
                           directory=directory or Directory()))

    # -- ids and attributes --------------------------------------------------------------------
    def __contains__(self, node_id: object) -> bool:
        try:
            return self._position(int(node_id)) >= 0  # type: ignore[call-overload]
        except (TypeError, ValueError, OverflowError):
            return False

    def _position(self, node_id: int) -> int:
        pos = int(np.searchsorted(self._ids, node_id))
        return pos if pos < self.node_count and self._ids[pos] == node_id else -1

    def positions(self, node_ids: Iterable[int]) -> tuple[np.ndarray, tuple[int, ...]]:
        """(int32 positions of the known ids in the order given, unknown ids deduplicated).

        >>> LineageGraph.from_records([{"node_id": 7}, {"node_id": 9}], []).positions([9, 8, 7])
        (array([1, 0], dtype=int32), (8,))
        """
        wanted = np.asarray(list(node_ids) if not isinstance(node_ids, np.ndarray) else node_ids, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self._ids, wanted), max(self.node_count - 1, 0))
        found = self._ids[pos] == wanted if self.node_count else np.zeros(wanted.shape, dtype=bool)
        unknown = tuple(dict.fromkeys(wanted[~found].tolist()))
        return pos[found].astype(np.int32), unknown

    def node_ids(self, idx: np.ndarray) -> np.ndarray:
        """int64 node ids of positions `idx`.

        >>> LineageGraph.from_records([{"node_id": 9}, {"node_id": 4}], []).node_ids(np.array([1, 0])).tolist()
        [9, 4]
        """
        return self._ids[idx]

    def labels(self, idx: np.ndarray) -> list[str]:
        """How messages name positions `idx`: the node name, or the id when it has none.

        Much cheaper than `node()` for the few nodes a message names: it builds no attribute record.

        >>> g = LineageGraph.from_records([{"node_id": 4, "node_name": "ods_a"}, {"node_id": 5}], [])
        >>> g.labels(np.array([1, 0]))
        ['5', 'ods_a']
        """
        names, ids = self._names, self._ids
        return [names[i].as_py() or str(ids[i]) for i in np.asarray(idx, dtype=np.int64).tolist()]

    @cached_property
    def names(self) -> NodeNames:
        """Node names → ids (`lineage.names.NodeNames`), indexed once per graph on first use: every resolver
        of a name (CLI, pages, the analyst API) shares it."""
        from lineage.names import NodeNames   # names.py builds on this module

        return NodeNames(self)

    def names_of(self, idx: np.ndarray) -> list[dict[str, Any]]:
        """Per position of `idx`, the names a person reads beside the ids (None where the snapshot has none):
        node_name, project_id, workspace_name, owner_id, owner_name — what `--json` rows add to a node id.

        >>> from lineage.directory import Directory
        >>> g = LineageGraph.from_records([{"node_id": 2, "node_name": "dwd_a", "owner_id": "u7", "project_id": 10}],
        ...                               [], directory=Directory({10: "dw_x"}, {"u7": "Ann"}))
        >>> g.names_of(np.array([0]))
        [{'node_name': 'dwd_a', 'project_id': 10, 'workspace_name': 'dw_x', 'owner_id': 'u7', 'owner_name': 'Ann'}]
        """
        d = self.directory
        return [{"node_name": name, "project_id": project if project >= 0 else None,
                 "workspace_name": d.workspace_name(project), "owner_id": owner, "owner_name": d.owner_name(owner)}
                for name, project, owner in zip(self.column("node_name")[idx].tolist(),
                                                self.column("project_id")[idx].tolist(),
                                                self.column("owner_id")[idx].tolist())]

    def node(self, node_id: int) -> NodeInfo:
        """The attributes of one node; raises `UnknownNodeError` when the snapshot lacks it.

        >>> LineageGraph.from_records([{"node_id": 4, "node_name": "ods_a"}], []).node(4).node_name
        'ods_a'
        """
        i = self._position(int(node_id))
        if i < 0:
            raise UnknownNodeError([node_id])
        ints = {col: int(a[i]) if a[i] >= 0 else None for col, a in self._ints.items()}
        text = {col: self._categories[col][c] if (c := self._codes[col][i]) >= 0 else None for col in _CODED}
        return NodeInfo(node_id=int(self._ids[i]), node_name=self._names[i].as_py(), listed=bool(self._listed[i]),
                        **ints, **text)

    def column(self, name: str) -> np.ndarray:
        """Per-position attribute array: ids/ints (-1 for null), strings as objects (None for null), masks.

        >>> LineageGraph.from_records([{"node_id": 1, "owner_id": "ann"}, {"node_id": 2}], []).column("owner_id")
        array(['ann', None], dtype=object)
        """
        if name == "node_id":
            return self._ids
        if name in self._ints:
            return self._ints[name]
        if name in ("is_manual", "is_paused", "is_skipped", "listed"):
            return getattr(self, name) if name != "listed" else self._listed
        if name in self._codes or name == "node_name":
            if name not in self._objects:
                if name == "node_name":
                    values = np.array(self._names.to_pylist(), dtype=object)
                else:
                    values = np.array([*self._categories[name], None], dtype=object)[self._codes[name]]
                self._objects[name] = _frozen(values)
            return self._objects[name]
        raise KeyError(f"no node column {name!r}")

    def codes(self, name: str) -> tuple[np.ndarray, tuple[str, ...]]:
        """(int32 codes per position, -1 for null; the distinct values) of a string column."""
        return self._codes[name], self._categories[name]

    def project_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """(dense project code per position, the distinct project ids with -1 for null) for bincounts."""
        return self._project_code, self._projects

    def _scheduler_mask(self, value: str) -> np.ndarray:
        cats = self._categories["scheduler_type"]
        code = cats.index(value) if value in cats else -2
        return _frozen(self._codes["scheduler_type"] == code)

    # -- traversals ----------------------------------------------------------------------------
    def descendants(self, node_ids: Iterable[int], max_depth: int | None = None) -> Reach:
        """All nodes reachable from `node_ids` (unknown ids ignored), the nodes themselves excluded.

        >>> g = LineageGraph.from_records([{"node_id": n} for n in (1, 2, 3)], [(1, 2), (2, 3)])
        >>> r = g.descendants([1, 99])
        >>> g.node_ids(r.idx).tolist(), r.depth.tolist(), g.node_ids(r.via).tolist()
        ([2, 3], [1, 2], [1, 2])
        """
        return self.descendants_of_positions(self.positions(node_ids)[0], max_depth)

    def ancestors(self, node_ids: Iterable[int], max_depth: int | None = None) -> Reach:
        """All nodes `node_ids` depend on (unknown ids ignored); `via` is the child it was reached from.

        >>> g = LineageGraph.from_records([{"node_id": n} for n in (1, 2, 3)], [(1, 2), (2, 3)])
        >>> g.node_ids(g.ancestors([3], max_depth=1).idx).tolist()
        [2]
        """
        return self.ancestors_of_positions(self.positions(node_ids)[0], max_depth)

    def descendants_of_positions(self, idx: np.ndarray, max_depth: int | None = None) -> Reach:
        """`descendants` for positions instead of ids."""
        return Reach(*bfs(self._down, idx, _check_depth(max_depth)))

    def ancestors_of_positions(self, idx: np.ndarray, max_depth: int | None = None) -> Reach:
        """`ancestors` for positions instead of ids."""
        return Reach(*bfs(self._up, idx, _check_depth(max_depth)))

    def children(self, i: int) -> np.ndarray:
        """Positions of the cycle-DAG children of position `i`."""
        return self._down.indices[self._down.indptr[i]:self._down.indptr[i + 1]]

    def child_counts(self) -> np.ndarray:
        """Number of cycle-DAG children of every position."""
        return np.diff(self._down.indptr)

    def edge_positions(self) -> tuple[np.ndarray, np.ndarray]:
        """(parent, child) positions of every cycle-DAG edge, sorted by parent."""
        return np.repeat(np.arange(self.node_count, dtype=np.int32), self.child_counts()), self._down.indices

    def parents(self, i: int) -> np.ndarray:
        """Positions of the cycle-DAG parents of position `i`."""
        return self._up.indices[self._up.indptr[i]:self._up.indptr[i + 1]]

    def baselines_of(self, idx: np.ndarray) -> np.ndarray:
        """Sorted distinct baseline ids of positions `idx` (their own baseline_id and baseline_nodes membership).

        >>> g = LineageGraph.from_records([{"node_id": 1, "baseline_id": 7}, {"node_id": 2}], [], baselines={5: [2]})
        >>> g.baselines_of(np.array([0, 1])).tolist()
        [5, 7]
        """
        return self._baselines.of(idx)

    # -- run history ---------------------------------------------------------------------------
    def median_runtime_seconds(self) -> np.ndarray:
        """Median run time per position over its finished instances, NaN where it has none."""
        return self._median

    def fallback_runtime_seconds(self) -> np.ndarray:
        """Median of the per-node medians of the same workspace and program type, NaN where none has history."""
        return self._group_median

    def last_success_bizdate(self, node_id: int) -> date | None:
        """The newest bizdate with a successful instance of the node, None when the history has none."""
        value = self._last_success[self._require(node_id)]
        return None if np.isnat(value) else value.astype(object)

    def instance_history(self, node_id: int) -> list[tuple[date, str]]:
        """(bizdate, status) of every instance of the node in the history, oldest first."""
        return self._history.of(self._require(node_id))

    def _require(self, node_id: int) -> int:
        i = self._position(int(node_id))
        if i < 0:
            raise UnknownNodeError([node_id])
        return i

    # -- derived, built once on demand ---------------------------------------------------------
    def cron_table(self) -> CronTable:
        """The distinct cron expressions of `codes("cron_express")` parsed into one `CronTable`."""
        if self._cron_table is None:
            self._cron_table = CronTable.build(self._categories["cron_express"])
        return self._cron_table

    def topological_levels(self) -> TopoLevels:
        """Every position's level (longest hop count from a node without parents) and the cycle-DAG edges
        ordered by their parent's level (`lineage.topo`), built on first use.

        >>> g = LineageGraph.from_records([{"node_id": n} for n in (1, 2, 3)], [(1, 3), (2, 3), (1, 2)])
        >>> g.topological_levels().level.tolist()
        [0, 1, 2]
        """
        with self._lock:
            if self._topo is None:
                self._topo = TopoLevels.build(self.node_count, *self.edge_positions())
            return self._topo

    def to_networkx(self) -> nx.DiGraph:
        """The cycle DAG as a networkx DiGraph keyed by node id, NodeInfo fields as node attributes (cached)."""
        with self._lock:
            if self._nx is None:
                self._nx = to_digraph(self)
            return self._nx


def _ascending(a: np.ndarray) -> bool:
    return a.size < 2 or bool(np.all(a[1:] > a[:-1]))


def _check_depth(max_depth: int | None) -> int | None:
    if max_depth is not None and max_depth < 0:
        raise ValueError(f"max_depth must be >= 0, got {max_depth}")
    return max_depth
