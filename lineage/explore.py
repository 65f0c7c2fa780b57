"""One metadata snapshot, opened for exploring: DataFrames, SQL, the graph, impact and backfill.

`open_snapshot()` opens the live snapshot of the data dir (`$OPSGUARD_HOME`, else `./.opsguard`), or a
named one, read-only. Impact and backfill go through `lineage.frames`, i.e. through the same
`compute_impact` / `estimate_backfill` calls as `opsguard impact` / `opsguard backfill` and the server.
The examples below run on `_example_snapshot()`, a five-node snapshot in a temporary data dir:

>>> snap = _example_snapshot()
>>> snap.find("order")["node_name"].tolist()
['dwd_order', 'dws_order_1d', 'ods_order']
>>> snap.impact(snap.find("ods_order")["node_id"]).descendants[["node_name", "depth", "workspace"]].values.tolist()
[['dwd_order', 1, 'dw_trade'], ['dws_order_1d', 2, 'dw_trade'], ['ads_user_report', 2, 'dw_user']]
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

import sql
from lineage import snapshots
from lineage.errors import UnknownNodeError
from lineage.frames import BackfillResult, ImpactResult, backfill_result, impact_result, node_frame, reach_frame
from lineage.graph import LineageGraph, NodeInfo
from lineage.hubs import rank_hubs

if TYPE_CHECKING:
    import duckdb
    import networkx as nx
    from matplotlib.figure import Figure

__all__ = ["Snapshot", "open_snapshot"]


def open_snapshot(data_dir: str | os.PathLike[str] | None = None, snapshot_id: str | None = None) -> Snapshot:
    """The live snapshot of `data_dir` (default: `$OPSGUARD_HOME`, else `./.opsguard`), or the one named
    `snapshot_id` (its file name without `.duckdb`), opened read-only. `SnapshotError` when there is none.

    >>> snap = _example_snapshot()
    >>> open_snapshot(snap.data_dir).id == snap.id, open_snapshot(snap.data_dir, snap.id).node("1").node_name
    (True, 'ods_order')
    """
    store = snapshots.SnapshotStore(snapshots.default_data_dir(data_dir))
    ref = store.get(snapshot_id) if snapshot_id else store.require_current()
    return Snapshot(ref.path, snapshot_id=ref.id, data_dir=store.data_dir)


class Snapshot:
    """A published metadata snapshot, read-only. Tables come back as pandas DataFrames; `graph` is the
    cycle DAG (`LineageGraph`, loaded on first use). Close it (or use `with`) to release the file.

    >>> with _example_snapshot() as snap:
    ...     len(snap.nodes()), len(snap.edges()), snap.graph.node_count, sorted(snap.workspaces.values())
    (5, 4, 5, ['dw_trade', 'dw_user'])
    """

    def __init__(self, path: str | os.PathLike[str], *, snapshot_id: str | None = None,
                 data_dir: str | os.PathLike[str] | None = None):
        self.path = Path(path)
        self.id: str = snapshot_id or self.path.name.removesuffix(snapshots.SNAPSHOT_SUFFIX)
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self._con: duckdb.DuckDBPyConnection | None = snapshots.connect_snapshot(self.path)

    def __repr__(self) -> str:
        return f"<Snapshot {self.id} ({self.path.name})>"

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the DuckDB connection (the loaded `graph` stays usable)."""
        if self._con is not None:
            self._con.close()
            self._con = None

    # -- SQL and tables ------------------------------------------------------------------------
    def sql(self, query: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run one DuckDB query on the snapshot's tables (`nodes`, `edges`, `instances`, `projects`,
        `baselines`, `baseline_nodes`, `sync_info`; see `sql/schema.sql`) and return a DataFrame.

        `params` are **bound** by DuckDB — `?` placeholders take a list, `$name` ones a dict — and
        never formatted into the text, so a value cannot change the query. The connection is
        read-only: statements that write fail.

        >>> snap = _example_snapshot()
        >>> snap.sql("SELECT node_name FROM nodes WHERE project_id = ? ORDER BY node_id", [20])["node_name"].tolist()
        ['ads_user_report']
        >>> len(snap.sql("SELECT * FROM nodes WHERE node_name = $name", {"name": "x' OR '1'='1"}))
        0
        """
        return self._connection().execute(query, params).df()

    def nodes(self) -> pd.DataFrame:
        """Every node with all its columns (DataWorks field names in snake_case) plus `project_name`.
        MANUAL nodes are included; the cycle DAG (`graph`) leaves them out."""
        return self.sql(sql.load("explore_nodes"))

    def edges(self) -> pd.DataFrame:
        """Every stored dependency: parent_id, child_id and both ends' project ids."""
        return self.sql(sql.load("explore_edges"))

    def instances(self, node_ids: int | Iterable[int] | None = None) -> pd.DataFrame:
        """Run history (one row per instance, `run_seconds` added), of `node_ids` only when given.

        >>> _example_snapshot().instances(1)[["node_id", "status", "run_seconds"]].values.tolist()
        [[1, 'SUCCESS', 600.0]]
        """
        ids = None if node_ids is None else _ids(node_ids)
        return self.sql(sql.load("explore_instances"), {"node_ids": ids})

    def projects(self) -> pd.DataFrame:
        """The workspaces (DataWorks projects) with their node counts."""
        return self.sql(sql.load("explore_projects"))

    @cached_property
    def workspaces(self) -> dict[int, str]:
        """Project id → workspace name."""
        rows = self._connection().execute("SELECT project_id, project_name FROM projects").fetchall()
        return {int(pid): name for pid, name in rows if name is not None}

    def find(self, pattern: str, *, regex: bool = False) -> pd.DataFrame:
        """Nodes whose name contains `pattern` (ignoring case), or matches it as a regular expression.

        >>> _example_snapshot().find("^d", regex=True)["node_name"].tolist()
        ['dwd_order', 'dws_order_1d']
        """
        return self.sql(sql.load("explore_find_regex" if regex else "explore_find"), {"pattern": pattern})

    def cross_workspace(self) -> pd.DataFrame:
        """Dependencies between workspaces: cycle-DAG edges whose parent and child are in different projects.

        >>> _example_snapshot().cross_workspace()[["parent_name", "child_name", "child_project"]].values.tolist()
        [['dwd_order', 'ads_user_report', 'dw_user']]
        """
        return self.sql(sql.load("explore_cross_workspace"))

    # -- the graph -----------------------------------------------------------------------------
    @cached_property
    def graph(self) -> LineageGraph:
        """The cycle DAG of the snapshot (MANUAL nodes left out), as the CLI and the server load it."""
        return LineageGraph.from_snapshot(self.path)

    def networkx(self) -> nx.DiGraph:
        """The cycle DAG as a networkx DiGraph keyed by node id, node columns as attributes.

        >>> sorted(_example_snapshot().networkx().successors(2))
        [3, 4]
        """
        return self.graph.to_networkx()

    def node(self, node_id: int | str) -> NodeInfo:
        """One node's attributes; `UnknownNodeError` when the snapshot lacks it."""
        return self.graph.node(int(node_id))

    def upstream(self, node_ids: int | Iterable[int], max_depth: int | None = None) -> pd.DataFrame:
        """Every node `node_ids` depend on, nearest first; `via` is the node it was reached from.

        >>> _example_snapshot().upstream(3)[["node_name", "depth", "via"]].values.tolist()
        [['dwd_order', 1, 3], ['ods_order', 2, 2]]
        """
        ids = _ids(node_ids)
        self._require(ids)
        return reach_frame(self.graph, self.graph.ancestors(ids, max_depth), self.workspaces)

    def impact(self, node_ids: int | Iterable[int], max_depth: int | None = None) -> ImpactResult:
        """What changing (freezing, undeploying) `node_ids` reaches downstream: `compute_impact`, the
        function `opsguard impact` calls. `.descendants` is the DataFrame (depth, via, name, workspace,
        owner, priority, baseline, scheduler type), `.summary` the figures, `.to_json()` the CLI's JSON.

        >>> r = _example_snapshot().impact([1], max_depth=1)
        >>> r.summary["downstream_count"], r.descendants["node_name"].tolist()
        (1, ['dwd_order'])
        """
        return impact_result(self.graph, _ids(node_ids), max_depth=max_depth, workspaces=self.workspaces)

    def downstream(self, node_ids: int | Iterable[int], max_depth: int | None = None) -> pd.DataFrame:
        """`impact(node_ids, max_depth).descendants`: every node reachable from `node_ids`, nearest first."""
        return self.impact(node_ids, max_depth).descendants

    def backfill(self, root: int, from_: date | str, to: date | str, *, include: Iterable[int] | None = None,
                 exclude: Iterable[int] = (), all_downstream: bool = False) -> BackfillResult:
        """Estimate a backfill (DataWorks "patch data") of `root` for bizdates `from_`..`to`: the
        `estimate_backfill` call of `opsguard backfill`. `include` None/empty = root + all downstream;
        `exclude` = dry-run. `.summary`, `.per_node`, `.per_bizdate`, `.stale`, `.command()`.

        >>> b = _example_snapshot().backfill(1, "2026-11-01", "2026-11-02", include=[1, 2])
        >>> b.summary["run_instance_count"], b.stale["node_name"].tolist(), b.command()
        (4, ['dws_order_1d', 'ads_user_report'], 'opsguard backfill 1 --from 2026-11-01 --to 2026-11-02 --include 1,2')
        """
        return backfill_result(self.graph, root, from_, to, include=include, exclude=exclude,
                               all_downstream=all_downstream, workspaces=self.workspaces)

    def hubs(self, top: int = 10) -> pd.DataFrame:
        """The `top` nodes with the most descendants (`descendants`, `children` columns), most first.
        Exact for graphs up to `lineage.hubs.EXACT_UP_TO` nodes; above, the best of likely candidates.

        >>> _example_snapshot().hubs(2)[["node_name", "descendants", "children"]].values.tolist()
        [['ods_order', 3, 1], ['dwd_order', 2, 2]]
        """
        ranking = rank_hubs(self.graph, top)
        frame = node_frame(self.graph, ranking.idx, self.workspaces)
        frame.insert(2, "descendants", ranking.descendants)
        frame.insert(3, "children", ranking.children)
        frame.attrs["exhaustive"] = ranking.exhaustive
        return frame

    def draw(self, node_ids: int | Iterable[int], **options: Any) -> Figure:
        """`lineage.draw.draw_subdag(self, node_ids, **options)`: a picture of the sub-DAG around the nodes."""
        from lineage.draw import draw_subdag

        return draw_subdag(self, node_ids, **options)

    # -- internals -----------------------------------------------------------------------------
    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = snapshots.connect_snapshot(self.path)
        return self._con

    def _require(self, ids: list[int]) -> None:
        _, unknown = self.graph.positions(ids)
        if unknown:
            raise UnknownNodeError(unknown)


def _ids(node_ids: int | str | Iterable[int]) -> list[int]:
    if isinstance(node_ids, (int, str)) or hasattr(node_ids, "__index__"):
        return [int(node_ids)]  # type: ignore[arg-type]
    return [int(n) for n in node_ids]


_EXAMPLE = {
    "projects": [{"ProjectId": 10, "ProjectName": "dw_trade"}, {"ProjectId": 20, "ProjectName": "dw_user"}],
    "nodes": [
        {"NodeId": 1, "NodeName": "ods_order", "ProjectId": 10, "CronExpress": "00 05 00 * * ?", "BaselineId": 77},
        {"NodeId": 2, "NodeName": "dwd_order", "ProjectId": 10, "CronExpress": "00 10 01 * * ?"},
        {"NodeId": 3, "NodeName": "dws_order_1d", "ProjectId": 10, "CronExpress": "00 30 02 * * ?", "Priority": 8},
        {"NodeId": 4, "NodeName": "ads_user_report", "ProjectId": 20, "CronExpress": "00 00 * * * ?"},
        {"NodeId": 5, "NodeName": "tmp_manual_fix", "ProjectId": 10, "SchedulerType": "MANUAL"},
    ],
    "edges": [[1, 2], [2, 3], [2, 4], [5, 3]],
    "instances": [{"InstanceId": 1, "NodeId": 1, "Bizdate": "2026-11-01", "Status": "SUCCESS",
                   "BeginRunningTime": 1_793_548_800_000, "FinishTime": 1_793_549_400_000}],
}


def _example_snapshot() -> Snapshot:
    """A five-node snapshot (two workspaces, one MANUAL node) published in a temporary data dir, for the
    examples in this module. Written once per process; the directory goes when the process ends."""
    global _example_dir
    if _example_dir is None:
        from lineage.snapshot_writer import write_fixture_snapshot

        tmp = tempfile.TemporaryDirectory(prefix="opsguard-example-")
        store = snapshots.SnapshotStore(tmp.name)
        store.publish(write_fixture_snapshot(_EXAMPLE, store.new_partial(datetime(2026, 11, 2))))
        _example_dir = tmp
    return open_snapshot(_example_dir.name)


_example_dir: tempfile.TemporaryDirectory[str] | None = None
