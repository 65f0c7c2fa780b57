"""Reading what the graph index needs out of a snapshot: named queries (`sql/graph_*.sql`) through
DuckDB into Arrow tables and numpy arrays (`GraphData`). `graph_records` builds the same `GraphData`
from plain records for hand-built graphs; a test holds the two roads to the same answers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

import sql
from lineage.directory import Directory
from lineage.errors import SnapshotError
from lineage.snapshots import connect_snapshot

__all__ = ["load_directory", "GraphData", "load_snapshot"]


@dataclass(frozen=True, eq=False)
class GraphData:
    """Everything the index is built from, as Arrow tables and numpy arrays in dense `idx` order."""

    snapshot_id: str
    synced_at: datetime | None
    history_to: date | None
    nodes: pa.Table                      # sql/graph_nodes.sql, row i = idx i
    parent: np.ndarray                   # int32 edge parents
    child: np.ndarray                    # int32 edge children
    member_idx: np.ndarray               # int32 baseline_nodes positions, sorted
    member_baseline: np.ndarray          # int64 their baseline ids
    runtimes: pa.Table                   # sql/graph_runtimes.sql, row i = idx i
    history: Callable[[], pa.Table]      # sql/graph_history.sql, read on first use
    unreadable_project_ids: tuple[int, ...] = ()  # workspaces the sync could not read (their downstream is unknown)
    directory: Directory = Directory()            # names of workspaces, owners and baselines


def load_directory(path: str | os.PathLike[str]) -> Directory:
    """Only the names of a published snapshot (no graph): for views of stored decisions, which name workspaces
    and operators without needing the nodes. `SnapshotError` if unreadable."""
    with _reading(Path(path), "names") as con:
        return read_directory(con)


def load_snapshot(path: str | os.PathLike[str]) -> GraphData:
    """The graph data of a published snapshot file, opened read-only; `SnapshotError` if unreadable."""
    path = Path(path)
    with _reading(path, "the graph") as con:
        return _read(con, path.name.removesuffix(".duckdb"), None, lambda: _history_of_file(path))


def _history_of_file(path: Path) -> pa.Table:
    with _reading(path, "run history") as con:
        return con.sql(sql.load("graph_history")).to_arrow_table()


@contextmanager
def _reading(path: Path, what: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """The snapshot at `path` opened read-only, closed after; a DuckDB error becomes a `SnapshotError`."""
    con = connect_snapshot(path)
    try:
        yield con
    except duckdb.Error as exc:
        raise SnapshotError(f"cannot read {what} from snapshot {path}: {exc}") from exc
    finally:
        con.close()


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
        nodes=_in_idx_order(con.sql(sql.load("graph_nodes")).to_arrow_table()),
        parent=np.asarray(edges["parent_idx"], dtype=np.int32),
        child=np.asarray(edges["child_idx"], dtype=np.int32),
        member_idx=np.asarray(members["idx"], dtype=np.int32),
        member_baseline=np.asarray(members["baseline_id"], dtype=np.int64),
        runtimes=_in_idx_order(con.sql(sql.load("graph_runtimes")).to_arrow_table()),
        history=history,
        unreadable_project_ids=_unreadable(con),
        directory=read_directory(con),
    )


def read_directory(con: duckdb.DuckDBPyConnection) -> Directory:
    """Workspace, owner and baseline names of a snapshot. A snapshot written before members were synced has no
    `members` table: its owners have no names (they are shown as ids)."""
    workspaces: dict[int, str] = {}
    baselines: dict[int, str] = {}
    for kind, key, name in con.execute(sql.load("graph_directory")).fetchall():
        (workspaces if kind == "workspace" else baselines)[int(key)] = name
    try:
        rows = con.execute(sql.load("graph_members")).fetchall()
    except duckdb.CatalogException:
        rows = []
    owners = {member_id: name or nick for member_id, name, nick in rows if name or nick}
    return Directory(workspaces=workspaces, owners=owners, baselines=baselines)


def _unreadable(con: duckdb.DuckDBPyConnection) -> tuple[int, ...]:
    """The snapshot's unreadable workspaces; () for snapshots written before the table existed."""
    try:
        return tuple(int(row[0]) for row in con.execute(sql.load("graph_unreadable_workspaces")).fetchall())
    except duckdb.CatalogException:
        return ()


def _in_idx_order(table: pa.Table) -> pa.Table:
    """`table` (one row per node, an `idx` column 0..n-1) with row i holding idx i.

    The queries skip ORDER BY (a sort of a million wide rows); rows are put in place by one gather.
    """
    idx = table["idx"].to_numpy()
    if idx.size < 2 or bool(np.all(idx[1:] > idx[:-1])):
        return table
    where = np.empty(idx.size, dtype=np.int64)
    where[idx] = np.arange(idx.size)
    return table.take(pa.array(where))
