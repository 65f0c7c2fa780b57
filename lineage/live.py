"""The graph the server judges by: the live snapshot's graph plus the node overlay, swapped atomically.

`GraphHolder.current()` is one immutable `LiveGraph`; an evaluation holds on to the one it started
with, so a swap never changes a graph under a running check. Node changes bump `version`; an event
accepted after a change asks `graph_for(version)` and gets a graph that includes it (rebuilt once for
all changes pending). A new CURRENT is noticed by `refresh()` (polled, and called after a sync): the
new snapshot is loaded in the caller's thread, node changes it already covers are dropped, then the
reference is replaced.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
import pyarrow as pa

import sql
from lineage.overlay import NodeChange, apply_overlay
from evaluator.policy import read_extension_options
from opsguard.state import OverlayRow
from lineage.errors import LineageError
from lineage.graph import LineageGraph
from lineage.graph_load import GraphData, load_snapshot
from lineage.snapshots import SnapshotRef, SnapshotStore, connect_snapshot

__all__ = ["LiveGraph", "GraphHolder"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class LiveGraph:
    """One graph to judge by: snapshot + the node changes up to `overlay_version`."""

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
    """Holds the live graph; thread-safe. `on_prune(before)` is told when a snapshot covers older changes,
    `on_swap()` after a new snapshot was swapped in."""

    def __init__(self, snapshots: SnapshotStore, *, on_prune: Callable[[datetime], None] | None = None,
                 on_swap: Callable[[], None] | None = None):
        self._snapshots = snapshots
        self._on_prune = on_prune
        self._on_swap = on_swap
        self._lock = threading.Lock()            # guards _changes/_version
        self._build_lock = threading.Lock()      # one build at a time
        self._refresh_lock = threading.Lock()
        self._changes: dict[int, tuple[int, OverlayRow]] = {}
        self._version = 0
        self._base: _Base | None = None
        self._live: LiveGraph | None = None
        self.builds = 0
        self.last_build_ms = 0.0
        self.load_error: str | None = None
        self._changed = threading.Event()
        self._stopped = False
        self._rebuilder: threading.Thread | None = None

    def start(self) -> GraphHolder:
        """Rebuild in the background after node changes, so the next check rarely waits for it."""
        self._rebuilder = threading.Thread(target=self._rebuild_when_changed, name="overlay-rebuild", daemon=True)
        self._rebuilder.start()
        return self

    def stop(self) -> None:
        self._stopped = True
        self._changed.set()
        if self._rebuilder is not None:
            self._rebuilder.join(10)

    def _rebuild_when_changed(self) -> None:
        while True:
            self._changed.wait()
            self._changed.clear()
            if self._stopped:
                return
            try:
                with self._build_lock:
                    live = self._live
                    if live is not None and live.overlay_version < self._version:
                        self._rebuild(warm=True)
            except Exception:  # noqa: BLE001 — an evaluation retries the build and reports the failure
                log.exception("rebuilding the graph with the node overlay failed")

    # -- reading -------------------------------------------------------------------------------------
    def current(self) -> LiveGraph | None:
        """The graph as last built (None before the first snapshot)."""
        return self._live

    @property
    def version(self) -> int:
        """The overlay version an evaluation accepted now must see."""
        return self._version

    def graph_for(self, version: int) -> LiveGraph | None:
        """A graph that includes every node change up to `version` (rebuilt if the current one lags)."""
        live = self._live
        if live is None or live.overlay_version >= version:
            return live
        with self._build_lock:
            live = self._live
            if live is None or live.overlay_version >= version:
                return live
            return self._rebuild()

    # -- node changes ----------------------------------------------------------------------------------
    def note_change(self, row: OverlayRow) -> int:
        """Record a committed node change; returns the version that includes it."""
        with self._lock:
            kept = self._changes.get(row.node_id)
            if kept is not None and None not in (row.modify_time, kept[1].modify_time) \
                    and row.modify_time < kept[1].modify_time:  # type: ignore[operator]
                return self._version           # an older record than the one we hold
            self._version += 1
            self._changes[row.node_id] = (self._version, row)
            version = self._version
        self._changed.set()
        return version

    def load_changes(self, rows: list[OverlayRow]) -> None:
        """Start-up: the overlay stored in the state database."""
        for row in rows:
            self.note_change(row)

    # -- snapshots -----------------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Load CURRENT if it is not the snapshot in use; True when the graph was swapped."""
        with self._refresh_lock:
            try:
                ref = self._snapshots.current()
            except LineageError as exc:
                self.load_error = str(exc)
                log.error("cannot read the live snapshot: %s", exc)
                return False
            if ref is None or (self._base is not None and self._base.snapshot.path == ref.path):
                return False
            try:
                base = _load_base(ref)
                base.data.history()          # read the run history now, not in the first unfreeze check
            except LineageError as exc:
                self.load_error = str(exc)
                log.error("cannot load snapshot %s: %s", ref.id, exc)
                return False
            self.load_error = None
            with self._build_lock:
                self._base = base
                self._drop_covered(base.sync_started_at)
                live = self._rebuild(warm=True)
            log.info("judging by snapshot %s (%d nodes, %d overlaid changes)", ref.id, live.graph.node_count,
                     len(live.overlay_nodes))
        if self._on_swap is not None:
            self._on_swap()
        return True

    def _drop_covered(self, sync_started_at: datetime | None) -> None:
        if sync_started_at is None:
            return
        with self._lock:
            self._changes = {n: (v, r) for n, (v, r) in self._changes.items() if r.received_at >= sync_started_at}
        if self._on_prune is not None:
            self._on_prune(sync_started_at)

    def _rebuild(self, *, warm: bool = False) -> LiveGraph:
        """Build snapshot + overlay (caller holds `_build_lock`); `warm` prepares the run history first."""
        base = self._base
        assert base is not None
        started = time.perf_counter()
        with self._lock:
            version = self._version
            rows = sorted((r for _, r in self._changes.values()), key=lambda r: r.received_at)
        data = apply_overlay(base.data, [NodeChange(r.node_id, r.change, r.node) for r in rows])
        graph = LineageGraph(data)
        if warm and graph.node_count:
            graph.instance_history(int(graph.node_ids(np.zeros(1, dtype=np.int64))[0]))
        live = LiveGraph(graph=graph, snapshot=base.snapshot, sync_started_at=base.sync_started_at,
                         overlay_version=version, overlay_nodes=tuple(r.node_id for r in rows), options=base.options)
        self._live = live
        self.builds += 1
        self.last_build_ms = (time.perf_counter() - started) * 1000
        return live


def _load_base(ref: SnapshotRef) -> _Base:
    data = load_snapshot(ref.path)
    data = replace(data, history=_Once(data.history))   # shared by every overlay rebuild of this snapshot
    con = connect_snapshot(ref.path)
    try:
        cur = con.execute(sql.load("sync_info_latest"))
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
    finally:
        con.close()
    started = dict(zip(names, row, strict=True)).get("started_at") if row else None
    try:
        options = read_extension_options(ref.path)
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
