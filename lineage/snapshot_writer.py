"""Writes one metadata snapshot file from DataWorks API records.

The sync feeds records as it fetches them; `finish()` assigns dense node positions, sorts the edges
for the graph index and records `sync_info`. Until `finish()` returns, the file is a `.partial`
that no reader looks at, so a crash mid-write loses nothing that was live.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

import sql
from lineage.records import DATAWORKS_TZ, NODE_COLUMNS, instance_row, node_row
from lineage.snapshots import snapshot_id_of

__all__ = ["SnapshotWriter", "SyncCounters", "write_fixture_snapshot"]

_INSTANCE_SCHEMA = pa.schema([
    ("instance_id", pa.int64()), ("node_id", pa.int64()), ("bizdate", pa.date32()),
    ("status", pa.string()), ("begin_running_time", pa.int64()), ("finish_time", pa.int64()),
])
_MEMBER_SCHEMA = pa.schema([
    ("project_id", pa.int64()), ("project_member_id", pa.string()), ("project_member_name", pa.string()),
    ("nick", pa.string()), ("project_member_type", pa.string()), ("status", pa.string()),
])
_NODE_TYPES = {int: pa.int64(), str: pa.string(), bool: pa.bool_()}
_NODE_SCHEMA = pa.schema([(col, _NODE_TYPES[kind]) for col, (_, kind) in NODE_COLUMNS.items()]
                         + [("listed", pa.bool_())])


@dataclass
class SyncCounters:
    """What a sync did, recorded in `sync_info`."""

    source: str
    mode: str = "full"
    mode_reason: str | None = None     # why `mode` (`lineage.sync.sync_mode`)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    project_ids: list[int] = field(default_factory=list)
    api_calls: int = 0
    api_retries: int = 0
    api_errors: int = 0
    throttled: int = 0
    history_bizdates_fetched: int = 0
    history_rows_missed: int = 0
    previous_snapshot_id: str | None = None
    #: why workspace members could not be listed (None: they were); readers then show owner ids as they are
    members_unavailable: str | None = None


class SnapshotWriter:
    """Accumulates one snapshot; `finish()` makes the file complete. Not thread-safe: feed it from one thread."""

    _FLUSH_ROWS = 200_000

    def __init__(self, path: str | os.PathLike[str], tz: timezone = DATAWORKS_TZ):
        self.path = Path(path)
        self.tz = tz
        self._con = duckdb.connect(str(self.path))
        self._con.execute(sql.load("schema"))
        self._nodes: dict[int, dict[str, Any]] = {}
        self._rank: dict[int, int] = {}   # 2 listed, 1 complete record, 0 neighbour record
        self._unreadable: dict[int, tuple[int, str, str, str]] = {}
        self._edges: set[tuple[int, int]] = set()
        self._instances: list[dict[str, Any]] = []
        self._projects: dict[int, tuple[int, str | None, str | None]] = {}
        self._baselines: dict[int, tuple[int, str | None, int | None, int | None]] = {}
        self._baseline_nodes: set[tuple[int, int]] = set()
        self._members: dict[tuple[int, str], dict[str, Any]] = {}

    # -- feeding -------------------------------------------------------------------------------
    def add_project(self, record: Mapping[str, Any]) -> None:
        pid = int(record["ProjectId"])
        self._projects[pid] = (pid, record.get("ProjectName"), record.get("ProjectIdentifier"))

    def add_nodes(self, records: Iterable[Mapping[str, Any]], *, listed: bool = True,
                  complete: bool | None = None) -> None:
        """Add node records. `listed`: from ListNodes of a synced workspace. `complete` (default: `listed`):
        a full record (ListNodes, GetNode), not the few fields GetNodeParents / GetNodeChildren return.
        A listed record replaces any other, a complete one replaces a partial one; otherwise the first stays."""
        complete = listed if complete is None else complete
        rank = 2 if listed else 1 if complete else 0
        for record in records:
            row = node_row(record)
            row["listed"] = listed
            node_id = row["node_id"]
            if node_id not in self._nodes or rank > self._rank.get(node_id, 0):
                self._nodes[node_id] = row
                self._rank[node_id] = rank

    def add_unreadable(self, project_id: int, action: str, code: str, message: str) -> None:
        """Record a workspace the credentials may not read (the first refusal is kept)."""
        self._unreadable.setdefault(int(project_id), (int(project_id), action, code, message))

    @property
    def node_project_ids(self) -> set[int]:
        """Workspaces of the nodes added so far (listed ones, and those seen as a parent or child)."""
        return {row["project_id"] for row in self._nodes.values() if row["project_id"] is not None}

    @property
    def unreadable(self) -> set[int]:
        """Workspaces recorded as unreadable so far."""
        return set(self._unreadable)

    def add_edges(self, pairs: Iterable[tuple[int, int]]) -> None:
        self._edges.update((int(p), int(c)) for p, c in pairs)

    def add_instances(self, records: Iterable[Mapping[str, Any]]) -> None:
        self._instances.extend(instance_row(r, self.tz) for r in records)
        if len(self._instances) >= self._FLUSH_ROWS:
            self._flush_instances()

    def add_instance_table(self, table: pa.Table) -> None:
        """Add instance rows already in snapshot columns (e.g. carried over from the previous snapshot)."""
        self._con.register("staging_instances", table.cast(_INSTANCE_SCHEMA))
        self._con.execute("INSERT INTO instances SELECT * FROM staging_instances")
        self._con.unregister("staging_instances")

    def add_baseline(self, record: Mapping[str, Any], project_id: int | None = None) -> None:
        bid = int(record["BaselineId"])
        priority = record.get("Priority")
        self._baselines[bid] = (bid, record.get("BaselineName"),
                                int(priority) if priority is not None else None, project_id)
        for node_id in record.get("NodeIds") or ():
            self._baseline_nodes.add((bid, int(node_id)))

    def add_members(self, project_id: int, records: Iterable[Mapping[str, Any]]) -> None:
        """Add ListProjectMembers records of one workspace (a member listed twice is kept once)."""
        for r in records:
            member_id = r.get("ProjectMemberId")
            if member_id in (None, ""):
                continue
            self._members[(int(project_id), str(member_id))] = {
                "project_id": int(project_id), "project_member_id": str(member_id),
                "project_member_name": r.get("ProjectMemberName") or None, "nick": r.get("Nick") or None,
                "project_member_type": _text(r.get("ProjectMemberType")), "status": _text(r.get("Status"))}

    def add_option(self, project_id: int, option_value: str | None) -> None:
        self._con.execute("INSERT INTO project_options VALUES (?, ?)", [project_id, option_value])

    @property
    def node_count(self) -> int:
        return len(self._nodes)

    # -- completing ----------------------------------------------------------------------------
    def finish(self, counters: SyncCounters, snapshot_id: str) -> None:
        """Write nodes, edges, projects, baselines and the `sync_info` row; checkpoint and close."""
        con = self._con
        self._flush_instances()
        nodes = pa.Table.from_pylist(list(self._nodes.values()), schema=_NODE_SCHEMA)
        con.register("staging_nodes", nodes)
        con.execute(sql.load("snapshot_insert_nodes"))
        con.unregister("staging_nodes")
        edges = pa.table({"parent_id": pa.array([e[0] for e in self._edges], pa.int64()),
                          "child_id": pa.array([e[1] for e in self._edges], pa.int64())})
        con.register("staging_edges", edges)
        con.execute(sql.load("snapshot_insert_edges"))
        con.unregister("staging_edges")
        if self._projects:
            con.executemany("INSERT INTO projects VALUES (?, ?, ?)", list(self._projects.values()))
        if self._baselines:
            con.executemany("INSERT INTO baselines VALUES (?, ?, ?, ?)", list(self._baselines.values()))
        if self._unreadable:
            con.executemany(sql.load("snapshot_insert_unreadable"), sorted(self._unreadable.values()))
        listed_members = pa.table({"baseline_id": pa.array([b for b, _ in self._baseline_nodes], pa.int64()),
                                   "node_id": pa.array([n for _, n in self._baseline_nodes], pa.int64())})
        con.register("staging_baseline_nodes", listed_members)
        con.execute(sql.load("snapshot_insert_baseline_nodes"))
        con.unregister("staging_baseline_nodes")
        con.register("staging_members", pa.Table.from_pylist(list(self._members.values()), schema=_MEMBER_SCHEMA))
        con.execute(sql.load("snapshot_insert_members"))
        con.unregister("staging_members")
        finished = datetime.now(UTC)
        con.execute(sql.load("snapshot_insert_sync_info"), {
            "snapshot_id": snapshot_id, "source": counters.source, "mode": counters.mode,
            "started_at": counters.started_at, "finished_at": finished,
            "duration_seconds": (finished - counters.started_at).total_seconds(),
            "project_ids": sorted(counters.project_ids or self._projects),
            "project_count": len(counters.project_ids or self._projects),
            "api_calls": counters.api_calls, "api_retries": counters.api_retries,
            "api_errors": counters.api_errors, "throttled": counters.throttled,
            "history_bizdates_fetched": counters.history_bizdates_fetched,
            "history_rows_missed": counters.history_rows_missed,
            "previous_snapshot_id": counters.previous_snapshot_id, "mode_reason": counters.mode_reason,
            "members_unavailable": counters.members_unavailable,
        })
        con.execute("CHECKPOINT")
        con.close()

    def abort(self) -> None:
        """Close and delete the partial file (used when a sync fails cleanly)."""
        try:
            self._con.close()
        finally:
            self.path.unlink(missing_ok=True)
            Path(f"{self.path}.wal").unlink(missing_ok=True)

    def _flush_instances(self) -> None:
        if self._instances:
            self.add_instance_table(pa.Table.from_pylist(self._instances, schema=_INSTANCE_SCHEMA))
            self._instances = []


def write_fixture_snapshot(fixture: Mapping[str, Any], path: str | os.PathLike[str],
                           *, source: str = "fixture", snapshot_id: str | None = None) -> Path:
    """Write a snapshot straight from a workspace fixture dict (sandbox format), skipping the API.

    For tests and benchmarks that need a snapshot of a known workspace without an emulator;
    the result is the same file a sync of that workspace would write.
    """
    writer = SnapshotWriter(path)
    for project in fixture.get("projects", ()):
        writer.add_project(project)
    writer.add_nodes(fixture.get("nodes", ()))
    writer.add_edges(fixture.get("edges", ()))
    writer.add_instances(fixture.get("instances", ()))
    nodes_project = {n["NodeId"]: n.get("ProjectId") for n in fixture.get("nodes", ())}
    for baseline in fixture.get("baselines", ()):
        first = next(iter(baseline.get("NodeIds") or ()), None)
        writer.add_baseline(baseline, project_id=nodes_project.get(first))
    for project_id, value in (fixture.get("options") or {}).items():
        writer.add_option(int(project_id), value)
    for project_id, records in (fixture.get("members") or {}).items():
        writer.add_members(int(project_id), records)
    counters = SyncCounters(source=source, project_ids=[int(p["ProjectId"]) for p in fixture.get("projects", ())])
    writer.finish(counters, snapshot_id or snapshot_id_of(path))
    return Path(path)



def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
