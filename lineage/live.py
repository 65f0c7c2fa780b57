"""The graph a long-running process judges by: the live snapshot's graph plus node changes over it.

`GraphHolder.current()` is one immutable `LiveGraph`; whoever holds one keeps judging on it, so a swap
never changes a graph under a running check. `refresh()` notices a new CURRENT (from any process's sync)
and loads it; `apply(changes)` lays node changes (in arrival order, each with its `seq`) over the
snapshot. A change received before the snapshot's sync started is already in it and is skipped.
Thread-safe; builds happen in the caller's thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

import sql
from lineage.errors import LineageError
from lineage.graph import LineageGraph
from lineage.graph_load import GraphData, load_snapshot
from lineage.overlay import NodeChange, apply_overlay
from lineage.snapshots import SnapshotRef, SnapshotStore, connect_snapshot

__all__ = ["LiveGraph", "GraphHolder", "read_project_options"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class LiveGraph:
    """One graph to judge by: a snapshot plus the node changes up to `overlay_version` (a seq)."""

    graph: LineageGraph
    snapshot: SnapshotRef
    sync_started_at: datetime | None
    overlay_version: int
    overlay_nodes: tuple[int, ...]
    options: Mapping[int, str] = field(default_factory=dict)
    built_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, eq=False)
class _Base:
    snapshot: SnapshotRef
    data: GraphData
    sync_started_at: datetime | None
    options: Mapping[int, str]


class GraphHolder:
    """Holds the live graph. `on_swap(live)` is told after a new snapshot was swapped in."""

    def __init__(self, snapshots: SnapshotStore, *, on_swap: Callable[[LiveGraph], None] | None = None):
        self._snapshots = snapshots
        self._on_swap = on_swap
        self._lock = threading.Lock()
        self._changes: dict[int, NodeChange] = {}
        self._version = 0
        self._base: _Base | None = None
        self._live: LiveGraph | None = None
        self.load_error: str | None = None
        self.builds = 0
        self.last_build_ms = 0.0

    def current(self) -> LiveGraph | None:
        """The graph as last built (None before the first snapshot)."""
        return self._live

    @property
    def overlay_version(self) -> int:
        """The seq of the newest node change in the graph `current()` returns (0: none). Read without waiting:
        while another thread is still building a newer graph this is the older one's, so a caller that finds
        it behind asks `apply`, which waits for that build and returns the graph that includes the change."""
        live = self._live
        return live.overlay_version if live is not None else self._version

    def apply(self, changes: Iterable[NodeChange]) -> LiveGraph | None:
        """Lay `changes` (newer than `overlay_version`, in seq order) over the snapshot; the new graph."""
        with self._lock:
            fresh = [c for c in changes if c.seq > self._version]
            if not fresh:
                return self._live
            for change in fresh:
                self._changes[change.node_id] = change
            self._version = fresh[-1].seq
            return self._rebuild() if self._base is not None else None

    def refresh(self) -> bool:
        """Load CURRENT if it is not the snapshot in use; True when the graph was swapped."""
        try:
            ref = self._snapshots.current()
        except LineageError as exc:
            self.load_error = str(exc)
            log.error("cannot read the live snapshot: %s", exc)
            return False
        base = self._base
        if ref is None or (base is not None and base.snapshot.path == ref.path):
            return False
        try:
            loaded = _load_base(ref)
            loaded.data.history()          # read the run history now, not in the first unfreeze check
        except LineageError as exc:
            self.load_error = str(exc)
            log.error("cannot load snapshot %s: %s", ref.id, exc)
            return False
        with self._lock:
            self.load_error = None
            self._base = loaded
            if loaded.sync_started_at is not None:     # changes the snapshot already covers
                self._changes = {n: c for n, c in self._changes.items()
                                 if c.received_at is None or c.received_at >= loaded.sync_started_at}
            live = self._rebuild()
        log.info("judging by snapshot %s (%d nodes, %d node changes over it)", ref.id, live.graph.node_count,
                 len(live.overlay_nodes))
        if self._on_swap is not None:
            self._on_swap(live)
        return True

    def _rebuild(self) -> LiveGraph:
        """Snapshot + changes (the caller holds `_lock`)."""
        base = self._base
        assert base is not None
        started = time.perf_counter()
        changes = sorted(self._changes.values(), key=lambda c: c.seq)
        graph = LineageGraph(apply_overlay(base.data, changes))
        if graph.node_count:   # the first history lookup builds the history index: not in a check
            graph.instance_history(int(graph.node_ids(np.zeros(1, dtype=np.int64))[0]))
        live = LiveGraph(graph=graph, snapshot=base.snapshot, sync_started_at=base.sync_started_at,
                         overlay_version=self._version, overlay_nodes=tuple(c.node_id for c in changes),
                         options=base.options)
        self._live = live
        self.builds += 1
        self.last_build_ms = (time.perf_counter() - started) * 1000
        return live


def read_project_options(snapshot_path: str | Path) -> dict[int, str]:
    """The `project_options` table of a snapshot: workspace id → the extension's options JSON string."""
    con = connect_snapshot(snapshot_path)
    try:
        rows = con.execute("SELECT project_id, option_value FROM project_options").fetchall()
    finally:
        con.close()
    return {int(pid): value for pid, value in rows if value}


def _load_base(ref: SnapshotRef) -> _Base:
    data = load_snapshot(ref.path)
    data = replace(data, history=_Once(data.history))   # shared by every rebuild over this snapshot
    con = connect_snapshot(ref.path)
    try:
        cur = con.execute(sql.load("sync_info_latest"))
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
    finally:
        con.close()
    started = dict(zip(names, row, strict=True)).get("started_at") if row else None
    try:
        options = read_project_options(ref.path)
    except Exception as exc:  # noqa: BLE001 — older snapshots may lack the table; options are optional
        log.warning("no extension options in snapshot %s: %s", ref.id, exc)
        options = {}
    return _Base(snapshot=ref, data=data, sync_started_at=started, options=options)


class _Once:
    """A table loader that loads once (thread-safe) and then hands out the same table."""

    def __init__(self, load: Callable[[], pa.Table]):
        self._load = load
        self._table: pa.Table | None = None
        self._lock = threading.Lock()

    def __call__(self) -> pa.Table:
        with self._lock:
            if self._table is None:
                self._table = self._load()
            return self._table
