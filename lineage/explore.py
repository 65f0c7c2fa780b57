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
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, tzinfo
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

import sql
from lineage import snapshots
from lineage._example import example_snapshot as _example_snapshot  # noqa: F401  (the examples run on it)
from lineage.directory import Directory
from lineage.graph_load import read_directory
from lineage.explore_graph import explain_frame, next_runs_frame, with_manual_nodes
from lineage.frames import BackfillResult, ImpactResult, Period, backfill_result, impact_result, node_frame, reach_frame
from lineage.graph import LineageGraph, NodeInfo
from lineage.hubs import rank_hubs
from lineage.names import NodeNames, NodeRef
from lineage.records import DATAWORKS_TZ

if TYPE_CHECKING:
    import duckdb
    import networkx as nx
    from matplotlib.figure import Figure

__all__ = ["Snapshot", "open_snapshot"]

#: epoch-millisecond columns shown as datetimes in the workspace's time zone
_TIME_COLUMNS = {"instances": ("begin_running_time", "finish_time"),
                 "nodes": ("create_time", "modify_time", "deploy_date")}


def open_snapshot(data_dir: str | os.PathLike[str] | None = None, snapshot_id: str | None = None, *,
                  tz: tzinfo | str | None = None) -> Snapshot:
    """The live snapshot of `data_dir` (default: `$OPSGUARD_HOME`, else `./.opsguard`), or the one named
    `snapshot_id` (its file name without `.duckdb`), opened read-only. `SnapshotError` when there is none.
    `tz` is DataWorks' local time zone for run times (default +08:00, the Chinese regions; e.g. "+09:00").

    >>> snap = _example_snapshot()
    >>> open_snapshot(snap.data_dir).id == snap.id, open_snapshot(snap.data_dir, snap.id).node("1").node_name
    (True, 'ods_order')
    """
    store = snapshots.SnapshotStore(snapshots.default_data_dir(data_dir))
    ref = store.get(snapshot_id) if snapshot_id else store.require_current()
    return Snapshot(ref.path, snapshot_id=ref.id, data_dir=store.data_dir, tz=tz)


class Snapshot:
    """A published metadata snapshot, read-only. Tables come back as pandas DataFrames; `graph` is the
    cycle DAG (`LineageGraph`, loaded on first use). Close it (or use `with`) to release the file.

    >>> with _example_snapshot() as snap:
    ...     len(snap.nodes()), len(snap.edges()), snap.graph.node_count, sorted(snap.workspaces.values())
    (5, 4, 5, ['dw_trade', 'dw_user'])
    """

    def __init__(self, path: str | os.PathLike[str], *, snapshot_id: str | None = None,
                 data_dir: str | os.PathLike[str] | None = None, tz: tzinfo | str | None = None):
        self.path = Path(path)
        self.id: str = snapshot_id or self.path.name.removesuffix(snapshots.SNAPSHOT_SUFFIX)
        self.data_dir = Path(data_dir) if data_dir is not None else None
        #: DataWorks local time: run and modify times are shown in it, next runs computed in it
        self.tz: tzinfo = _timezone(tz)
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
        """Every node with all its columns (DataWorks field names in snake_case) plus `project_name`;
        `create_time`, `modify_time`, `deploy_date` as datetimes in `tz`. MANUAL nodes are included; the
        cycle DAG (`graph`) leaves them out."""
        return self._named(self._local_times(self.sql(sql.load("explore_nodes")), _TIME_COLUMNS["nodes"]))

    def edges(self) -> pd.DataFrame:
        """Every stored dependency: parent_id, child_id and both ends' project ids."""
        return self.sql(sql.load("explore_edges"))

    def instances(self, nodes: NodeRef | Iterable[NodeRef] | None = None) -> pd.DataFrame:
        """Run history (one row per instance, `node_name` and `run_seconds` added), of `nodes` (ids or names)
        only when given. `begin_running_time` and `finish_time` are datetimes in DataWorks local time (`tz`;
        the API and `sql()` give epoch milliseconds).

        >>> runs = _example_snapshot().instances("ods_order")
        >>> runs[["node_name", "status", "run_seconds"]].values.tolist(), str(runs["begin_running_time"][0])
        ([['ods_order', 'SUCCESS', 600.0]], '2026-11-02 00:00:00+08:00')
        """
        ids = None if nodes is None else self.resolve(nodes)
        frame = self.sql(sql.load("explore_instances"), {"node_ids": ids})
        return self._local_times(frame, _TIME_COLUMNS["instances"])

    def projects(self) -> pd.DataFrame:
        """The workspaces (DataWorks projects) with their node counts."""
        return self.sql(sql.load("explore_projects"))

    @cached_property
    def directory(self) -> Directory:
        """Names of the snapshot's workspaces, owners (workspace members) and baselines (`lineage.directory`)."""
        return read_directory(self._connection())

    @cached_property
    def workspaces(self) -> dict[int, str]:
        """Project id → workspace name."""
        return dict(self.directory.workspaces)

    def find(self, pattern: str, *, regex: bool = False) -> pd.DataFrame:
        """Nodes whose name contains `pattern` (ignoring case), or matches it as a regular expression.

        >>> _example_snapshot().find("^d", regex=True)["node_name"].tolist()
        ['dwd_order', 'dws_order_1d']
        """
        return self._named(self.sql(sql.load("explore_find_regex" if regex else "explore_find"), {"pattern": pattern}))

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

    def networkx(self, *, include_manual: bool = False) -> nx.DiGraph:
        """The cycle DAG as a networkx DiGraph keyed by node id, node columns as attributes.

        **MANUAL nodes are left out** by default — the cycle DAG that impact, backfill and the server use
        has none (they never run on schedule) — and the graph says so: `graph["manual_nodes_left_out"]`
        counts them. `include_manual=True` returns a copy with them and their stored dependencies added,
        every node flagged `manual` (True or False).

        >>> snap = _example_snapshot()
        >>> dg = snap.networkx()
        >>> sorted(dg.successors(2)), 5 in dg, dg.graph["manual_nodes_left_out"]
        ([3, 4], False, 1)
        >>> full = snap.networkx(include_manual=True)
        >>> full.nodes[5]["manual"], full.nodes[3]["manual"], sorted(full.predecessors(3))
        (True, False, [2, 5])
        """
        if include_manual:
            return with_manual_nodes(self.graph, self.edges())
        dg = self.graph.to_networkx()
        dg.graph["manual_nodes_left_out"] = int(self.graph.is_manual.sum())
        return dg

    @property
    def names(self) -> NodeNames:
        """Node names → ids (`lineage.names`): the graph's own resolver, built on first use."""
        return self.graph.names

    def resolve(self, nodes: NodeRef | Iterable[NodeRef]) -> list[int]:
        """Node ids of `nodes` (ids, or names: `AmbiguousNodeError` lists the nodes a shared name fits).

        >>> _example_snapshot().resolve(["dwd_order", 4, "1"])
        [2, 4, 1]
        """
        return self.names.resolve_all(nodes)

    def node(self, node: NodeRef) -> NodeInfo:
        """One node's attributes, by id or by name; `UnknownNodeError` when the snapshot lacks it,
        `AmbiguousNodeError` (listing the candidates) when several nodes have that name.

        >>> _example_snapshot().node("dws_order_1d").node_id
        3
        """
        return self.graph.node(self.names.resolve(node))

    def upstream(self, nodes: NodeRef | Iterable[NodeRef], max_depth: int | None = None) -> pd.DataFrame:
        """Every node `nodes` depend on, nearest first; `via` is the node it was reached from.

        >>> _example_snapshot().upstream("dws_order_1d")[["node_name", "depth", "via"]].values.tolist()
        [['dwd_order', 1, 3], ['ods_order', 2, 2]]
        """
        return reach_frame(self.graph, self.graph.ancestors(self.resolve(nodes), max_depth), self.workspaces)

    def explain(self, changed: NodeRef | Iterable[NodeRef], target: NodeRef) -> pd.DataFrame:
        """Why `target` is downstream of `changed`: the dependency path, one row per hop, as
        `opsguard impact CHANGED --explain TARGET` prints it (`lineage.explain`). `NotDownstreamError`
        when it is not downstream. `.attrs["path"]` is the path as one line of names.

        >>> path = _example_snapshot().explain("ods_order", "ads_user_report")
        >>> path[["depth", "node_name", "workspace"]].values.tolist(), path.attrs["path"]
        ([[0, 'ods_order', 'dw_trade'], [1, 'dwd_order', 'dw_trade'], [2, 'ads_user_report', 'dw_user']], 'ods_order → dwd_order → ads_user_report')
        """
        return explain_frame(self.graph, self.resolve(changed), self.names.resolve(target), self.workspaces)

    def next_runs(self, nodes: NodeRef | Iterable[NodeRef], after: datetime | str | None = None) -> pd.DataFrame:
        """When each of `nodes` next runs: the first fire time of its cron at or after `after` (default:
        now), in DataWorks local time (`tz`), with the bizdate that instance is for (the day before its run
        date), baseline and priority. `next_run` is NaT for a node whose cron never fires or is invalid.

        >>> runs = _example_snapshot().next_runs(["ods_order", "ads_user_report"], after="2026-11-20 09:30")
        >>> [(r.node_name, str(r.next_run), str(r.bizdate.date())) for r in runs.itertuples()]
        [('ods_order', '2026-11-21 00:05:00+08:00', '2026-11-20'), ('ads_user_report', '2026-11-20 10:00:00+08:00', '2026-11-19')]
        """
        moment = pd.Timestamp.now(self.tz) if after is None else pd.Timestamp(after)
        moment = moment.tz_localize(self.tz) if moment.tzinfo is None else moment.tz_convert(self.tz)
        return next_runs_frame(self.graph, self.resolve(nodes), moment.to_pydatetime(), self.tz, self.workspaces)

    def impact(self, node_ids: NodeRef | Iterable[NodeRef], max_depth: int | None = None) -> ImpactResult:
        """What changing (freezing, undeploying) `node_ids` reaches downstream: `compute_impact`, the
        function `opsguard impact` calls. `.descendants` is the DataFrame (depth, via, name, workspace,
        owner, priority, baseline, scheduler type), `.summary` the figures, `.to_json()` the CLI's JSON.

        >>> r = _example_snapshot().impact([1], max_depth=1)
        >>> r.summary["downstream_count"], r.descendants["node_name"].tolist()
        (1, ['dwd_order'])
        """
        return impact_result(self.graph, self.resolve(node_ids), max_depth=max_depth, workspaces=self.workspaces)

    def downstream(self, node_ids: NodeRef | Iterable[NodeRef], max_depth: int | None = None) -> pd.DataFrame:
        """`impact(node_ids, max_depth).descendants`: every node reachable from `node_ids`, nearest first."""
        return self.impact(node_ids, max_depth).descendants

    def backfill(self, root: NodeRef, from_: date | str | None = None, to: date | str | None = None, *,
                 periods: Iterable[Period] = (), include: Iterable[NodeRef] | None = None,
                 exclude: Iterable[NodeRef] = (), all_downstream: bool = False,
                 parallel_groups: int = 1) -> BackfillResult:
        """Estimate a backfill (DataWorks "patch data") of `root` for bizdates `from_`..`to` and/or several
        `periods` (`(begin, end)` pairs or "BEGIN:END"): the `estimate_backfill` call of `opsguard backfill`.
        `include` None/empty = root + all downstream; `exclude` = dry-run; nodes by id or name;
        `parallel_groups` = DataWorks' parallel groups of bizdates. `.summary` (compute hours and the
        wall-clock estimate), `.per_node`, `.per_bizdate`, `.critical_path`, `.stale`, `.command()`.

        >>> b = _example_snapshot().backfill("ods_order", "2026-11-01", "2026-11-02", include=["ods_order", 2])
        >>> b.summary["run_instance_count"], b.stale["node_name"].tolist(), b.command()
        (4, ['dws_order_1d', 'ads_user_report'], 'opsguard backfill 1 --from 2026-11-01 --to 2026-11-02 --include 1,2')
        """
        include_ids = None if include is None else self.resolve(list(include))
        return backfill_result(self.graph, self.names.resolve(root), from_, to, periods=periods, include=include_ids,
                               exclude=self.resolve(list(exclude)), all_downstream=all_downstream,
                               parallel_groups=parallel_groups, workspaces=self.workspaces)

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

    def draw(self, nodes: NodeRef | Iterable[NodeRef], **options: Any) -> Figure:
        """`lineage.draw.draw_subdag(self, nodes, **options)`: a picture of the sub-DAG around the nodes."""
        from lineage.draw import draw_subdag

        return draw_subdag(self, nodes, **options)

    # -- internals -----------------------------------------------------------------------------
    def _named(self, frame: pd.DataFrame) -> pd.DataFrame:
        """`frame` with an `owner` column (the member's name, else the id) before its `owner_id`."""
        if "owner_id" in frame and "owner" not in frame:
            frame.insert(int(frame.columns.get_loc("owner_id")), "owner",
                         [self.directory.owner(o) for o in frame["owner_id"].tolist()])
        return frame

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = snapshots.connect_snapshot(self.path)
        return self._con

    def _local_times(self, frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
        for name in columns:
            if name in frame:
                frame[name] = pd.to_datetime(frame[name], unit="ms", utc=True).dt.tz_convert(self.tz)
        return frame


def _timezone(tz: tzinfo | str | None) -> tzinfo:
    """DataWorks' local time zone: a tzinfo, an offset like "+08:00", or None for +08:00."""
    if tz is None:
        return DATAWORKS_TZ
    if isinstance(tz, str):
        from lineage.config import parse_timezone

        return parse_timezone(tz)
    return tz
