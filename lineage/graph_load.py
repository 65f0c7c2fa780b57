"""Reading what the graph index needs out of a snapshot (DuckDB → Arrow), or out of plain records.

Both roads end in the same `GraphData` through the same named queries (`sql/graph_*.sql`): plain
records are first written into an in-memory DuckDB with the snapshot schema and the snapshot
writer's own insert statements, so a hand-built graph and a synced one cannot drift apart.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

import sql
from lineage.errors import SnapshotError, UnknownNodeError
from lineage.records import NODE_COLUMNS
from lineage.snapshots import open_snapshot

__all__ = ["GraphData", "load_snapshot", "load_records"]

_ARROW_TYPES = {int: pa.int64(), str: pa.string(), bool: pa.bool_()}
_NODE_SCHEMA = pa.schema([(col, _ARROW_TYPES[kind]) for col, (_, kind) in NODE_COLUMNS.items()]
                         + [("listed", pa.bool_())])
_INSTANCE_SCHEMA = pa.schema([
    ("instance_id", pa.int64()), ("node_id", pa.int64()), ("bizdate", pa.date32()),
    ("status", pa.string()), ("begin_running_time", pa.int64()), ("finish_time", pa.int64()),
])


@dataclass(frozen=True, eq=False)
class GraphData:
    """Everything the index is built from, as Arrow tables and numpy arrays in dense `idx` order."""

    snapshot_id: str
    synced_at: datetime | None
    history_to: date | None
    nodes: pa.Table                      # sql/graph_nodes.sql
    parent: np.ndarray                   # int32 edge parents
    child: np.ndarray                    # int32 edge children
    member_idx: np.ndarray               # int32 baseline_nodes positions, sorted
    member_baseline: np.ndarray          # int64 their baseline ids
    runtimes: pa.Table                   # sql/graph_runtimes.sql
    history: Callable[[], pa.Table]      # sql/graph_history.sql, read on first use


def load_snapshot(path: str | os.PathLike[str]) -> GraphData:
    """The graph data of a published snapshot file, opened read-only; `SnapshotError` if unreadable."""
    path = Path(path)
    con = open_snapshot(path)
    try:
        return _read(con, path.name.removesuffix(".duckdb"), None, lambda: _history_of_file(path))
    except duckdb.Error as exc:
        raise SnapshotError(f"cannot read the graph from snapshot {path}: {exc}") from exc
    finally:
        con.close()


def _history_of_file(path: Path) -> pa.Table:
    con = open_snapshot(path)
    try:
        return con.sql(sql.load("graph_history")).to_arrow_table()
    except duckdb.Error as exc:
        raise SnapshotError(f"cannot read run history from snapshot {path}: {exc}") from exc
    finally:
        con.close()


def load_records(nodes: Iterable[Mapping[str, Any]], edges: Iterable[tuple[int, int]],
                 instances: Iterable[Mapping[str, Any]], baselines: Mapping[int, Iterable[int]] | None,
                 snapshot_id: str, synced_at: datetime | None) -> GraphData:
    """The graph data of snake_case node/instance records (see `LineageGraph.from_records`)."""
    rows = [_node_row(n) for n in nodes]
    ids = [r["node_id"] for r in rows]
    if len(set(ids)) != len(ids):
        dupes = sorted(i for i, k in Counter(ids).items() if k > 1)
        raise ValueError(f"duplicate node ids in records: {dupes[:5]}")
    pairs = [(int(p), int(c)) for p, c in edges]
    known = set(ids)
    dangling = sorted({n for pair in pairs for n in pair if n not in known})
    if dangling:
        raise UnknownNodeError(dangling)
    members = [(int(b), int(n)) for b, node_ids in (baselines or {}).items() for n in node_ids]
    con = duckdb.connect()
    try:
        con.execute(sql.load("schema"))
        _stage(con, "staging_nodes", pa.Table.from_pylist(rows, schema=_NODE_SCHEMA), "snapshot_insert_nodes")
        _stage(con, "staging_edges", pa.table({"parent_id": pa.array([p for p, _ in pairs], pa.int64()),
                                               "child_id": pa.array([c for _, c in pairs], pa.int64())}),
               "snapshot_insert_edges")
        _stage(con, "staging_baseline_nodes", pa.table({"baseline_id": pa.array([b for b, _ in members], pa.int64()),
                                                        "node_id": pa.array([n for _, n in members], pa.int64())}),
               "snapshot_insert_baseline_nodes")
        con.register("staging_instances", pa.Table.from_pylist([_instance_row(i) for i in instances],
                                                               schema=_INSTANCE_SCHEMA))
        con.execute("INSERT INTO instances SELECT * FROM staging_instances")
        history = con.sql(sql.load("graph_history")).to_arrow_table()
        return _read(con, snapshot_id, synced_at, lambda: history)
    finally:
        con.close()


def _node_row(record: Mapping[str, Any]) -> dict[str, Any]:
    row = {col: record.get(col) for col in NODE_COLUMNS}
    row["node_id"] = int(record["node_id"])
    row["scheduler_type"] = record.get("scheduler_type", "NORMAL")
    row["listed"] = bool(record.get("listed", True))
    return row


def _instance_row(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"instance_id": record.get("instance_id"), "node_id": int(record["node_id"]),
            "bizdate": record["bizdate"], "status": record.get("status"),
            "begin_running_time": record.get("begin_running_time"), "finish_time": record.get("finish_time")}


def _stage(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table, insert: str) -> None:
    con.register(name, table)
    con.execute(sql.load(insert))
    con.unregister(name)


def _read(con: duckdb.DuckDBPyConnection, default_id: str, synced_at: datetime | None,
          history: Callable[[], pa.Table]) -> GraphData:
    snapshot_id, finished_at, history_to = con.execute(sql.load("graph_snapshot_info")).fetchall()[0]
    edges = con.sql(sql.load("graph_edges")).fetchnumpy()
    members = con.sql(sql.load("graph_baseline_members")).fetchnumpy()
    if synced_at is None and finished_at is not None:
        synced_at = finished_at.astimezone(UTC)
    return GraphData(
        snapshot_id=snapshot_id or default_id,
        synced_at=synced_at,
        history_to=history_to,
        nodes=con.sql(sql.load("graph_nodes")).to_arrow_table(),
        parent=np.asarray(edges["parent_idx"], dtype=np.int32),
        child=np.asarray(edges["child_idx"], dtype=np.int32),
        member_idx=np.asarray(members["idx"], dtype=np.int32),
        member_baseline=np.asarray(members["baseline_id"], dtype=np.int64),
        runtimes=con.sql(sql.load("graph_runtimes")).to_arrow_table(),
        history=history,
    )
