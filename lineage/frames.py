"""Impact and backfill results as pandas DataFrames, for notebooks and analysts.

Only the presentation is added here: the figures come from `lineage.impact.compute_impact` and
`lineage.backfill.estimate_backfill`, the functions `opsguard impact`, `opsguard backfill` and the
server call (preview and enforcement share one code path), and `to_json()` returns exactly what the
CLI prints with `--json`. Unknown node ids raise `UnknownNodeError`, as the CLI does.

>>> g = LineageGraph.from_records([{"node_id": 1, "node_name": "ods_a"}, {"node_id": 2, "node_name": "dwd_b"}],
...                               [(1, 2)])
>>> impact_result(g, [1]).descendants[["node_id", "node_name", "depth", "via"]].to_dict("records")
[{'node_id': 2, 'node_name': 'dwd_b', 'depth': 1, 'via': 1}]
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from typing import Any

import numpy as np
import pandas as pd

from lineage.backfill import BackfillEstimate, BackfillRequest, BizdatePeriod, estimate_backfill
from lineage.errors import UnknownNodeError
from lineage.graph import LineageGraph, Reach
from lineage.impact import Impact, compute_impact
from lineage.wall_clock import hours_text

__all__ = ["ImpactResult", "BackfillResult", "node_frame", "reach_frame", "impact_result", "backfill_result",
           "as_bizdate", "as_periods"]

Period = tuple[date | str, date | str] | BizdatePeriod | str   # (begin, end), a period, or "BEGIN:END"
_NULLABLE_INTS = ("project_id", "priority", "baseline_id")
_SHOWN = 10  # rows an HTML preview shows; the DataFrames hold everything


def node_frame(graph: LineageGraph, idx: np.ndarray, workspaces: Mapping[int, str] | None = None) -> pd.DataFrame:
    """One row per position of `idx` (order kept): node_id, node_name, workspace (the project's name when
    `workspaces` maps it; default: the snapshot's names), project_id, owner (the workspace member's name, else the
    id), owner_id, priority, baseline (its name, else the id), baseline_id (the node's own), scheduler_type.

    >>> from lineage.directory import Directory
    >>> g = LineageGraph.from_records([{"node_id": 7, "project_id": 10, "priority": 8, "owner_id": "u1"},
    ...                                {"node_id": 9, "owner_id": "u2"}], [], directory=Directory(owners={"u1": "Ann"}))
    >>> f = node_frame(g, np.array([1, 0]), {10: "dw_trade"})
    >>> f["node_id"].tolist(), f["workspace"].tolist()[1], f["priority"].isna().tolist(), f["owner"].tolist()
    ([9, 7], 'dw_trade', [True, False], ['u2', 'Ann'])
    """
    idx = np.asarray(idx, dtype=np.int64)
    d = graph.directory
    frame = pd.DataFrame({"node_id": graph.node_ids(idx), "node_name": graph.column("node_name")[idx]})
    projects = graph.column("project_id")[idx]
    names = d.workspaces if workspaces is None else workspaces
    frame["workspace"] = pd.Series([names.get(p) for p in projects.tolist()])
    for name in _NULLABLE_INTS:
        values = graph.column(name)[idx].astype(np.int64)
        frame[name] = pd.arrays.IntegerArray(values, values < 0)
    owners = graph.column("owner_id")[idx]
    frame["owner_id"] = owners
    frame["owner"] = pd.Series([d.owner(o) for o in owners.tolist()], dtype=object)
    frame["baseline"] = pd.Series([d.baseline(b) for b in graph.column("baseline_id")[idx].tolist()], dtype=object)
    frame["scheduler_type"] = graph.column("scheduler_type")[idx]
    return frame[["node_id", "node_name", "workspace", "project_id", "owner", "owner_id", "priority", "baseline",
                  "baseline_id", "scheduler_type"]]


def reach_frame(graph: LineageGraph, reach: Reach, workspaces: Mapping[int, str] | None = None) -> pd.DataFrame:
    """`node_frame` of a traversal's nodes with `depth`, `via` (the neighbour it was first reached through)
    and `via_name` after the name, nearest first.

    >>> g = LineageGraph.from_records([{"node_id": n} for n in (1, 2, 3)], [(1, 2), (2, 3)])
    >>> reach_frame(g, g.ancestors([3]))[["node_id", "depth", "via"]].values.tolist()
    [[2, 1, 3], [1, 2, 2]]
    """
    frame = node_frame(graph, reach.idx, workspaces)
    frame.insert(2, "depth", reach.depth.astype(np.int64))
    frame.insert(3, "via", graph.node_ids(reach.via))
    frame.insert(4, "via_name", graph.column("node_name")[reach.via])
    return frame


@dataclass(frozen=True, eq=False)
class ImpactResult:
    """What changing some nodes reaches downstream: `impact` (the `Impact` the CLI and the checks use),
    its figures as a `summary` dict, and every descendant as a row of `descendants`."""

    impact: Impact
    descendants: pd.DataFrame
    graph: LineageGraph = field(repr=False)

    @property
    def summary(self) -> dict[str, Any]:
        """The impact's figures (`opsguard impact --json` without the descendant list)."""
        return self.impact.to_json(self.graph, include_descendants=False)

    def to_json(self) -> dict[str, Any]:
        """Exactly what `opsguard impact NODE_ID... --json` prints for the same nodes and snapshot."""
        return self.impact.to_json(self.graph)

    def __repr__(self) -> str:
        i = self.impact
        return (f"<ImpactResult of {list(i.nodes)}: {i.downstream_count} descendants, max depth {i.max_depth}, "
                f"{i.cross_project_count} in other workspaces, {i.paused_count} frozen, {i.skipped_count} dry-run>")

    def _repr_html_(self) -> str:
        return _html(repr(self)[1:-1], self.descendants)


@dataclass(frozen=True, eq=False)
class BackfillResult:
    """A backfill estimate: `estimate` (the `BackfillEstimate` the CLI and the checks use), its figures
    as `summary`, and DataFrames `per_node` (selected nodes, root first), `per_bizdate` (run instances
    per bizdate) and `stale` (descendants left out of the selection: they keep stale data)."""

    request: BackfillRequest
    estimate: BackfillEstimate
    per_node: pd.DataFrame
    per_bizdate: pd.DataFrame
    stale: pd.DataFrame
    graph: LineageGraph = field(repr=False)

    @property
    def summary(self) -> dict[str, Any]:
        """The docs/contract.md "backfill" figures plus selection_mode, nodes_without_history, unknown."""
        return self.estimate.to_json()

    def to_json(self) -> dict[str, Any]:
        """What `opsguard backfill ... --json` prints for the same request and snapshot (dates as text)."""
        return self.estimate.to_json(include_nodes=True, graph=self.graph)

    def command(self, data_dir: str | None = None) -> str:
        """The `opsguard backfill` command line that estimates this same request on the live snapshot.

        >>> g = LineageGraph.from_records([{"node_id": 1}, {"node_id": 2}], [(1, 2)])
        >>> backfill_result(g, 1, "2026-11-01", "2026-11-07", include=[1, 2], exclude=[2]).command()
        'opsguard backfill 1 --from 2026-11-01 --to 2026-11-07 --include 1,2 --exclude 2'
        """
        r = self.request
        words = ["opsguard", "backfill", str(r.root_id)]
        if len(r.periods) == 1:
            words += ["--from", r.periods[0].begin.isoformat(), "--to", r.periods[0].end.isoformat()]
        else:
            words += [w for p in r.periods for w in ("--period", f"{p.begin.isoformat()}:{p.end.isoformat()}")]
        if r.include_ids:
            words += ["--include", ",".join(str(n) for n in r.include_ids)]
        if r.exclude_ids:
            words += ["--exclude", ",".join(str(n) for n in r.exclude_ids)]
        if r.all_downstream:
            words.append("--all-downstream")
        if r.parallel_groups > 1:
            words += ["--parallel", str(r.parallel_groups)]
        if data_dir is not None:
            words += ["--data-dir", str(data_dir)]
        return shlex.join(words)

    @property
    def critical_path(self) -> pd.DataFrame:
        """The longest bizdate's critical path, first node first: `node_frame` columns plus the median run
        time each node adds (`median_seconds`) and whether it had run history."""
        path = list(self.estimate.wall_clock.critical_path) if self.estimate.wall_clock else []
        rows = self.per_node.set_index("node_id").loc[path].reset_index()
        return rows[["node_id", "node_name", "workspace", "project_id", "owner", "owner_id", "median_seconds",
                     "has_history"]]

    def __repr__(self) -> str:
        e = self.estimate
        mode = "root + all downstream (no include list)" if e.selection_mode == "all-downstream" else "include list"
        clock = (f", ~{hours_text(e.wall_clock.hours)} on the clock in {e.wall_clock.parallel_groups} group(s)"
                 if e.wall_clock else "")
        return (f"<BackfillResult of {_label(self.per_node, self.request.root_id)} ({mode}): {e.node_count} nodes x "
                f"{e.bizdate_count} bizdates, {e.run_instance_count} run + {e.instance_count - e.run_instance_count} "
                f"dry-run instances, ~{e.estimated_hours:.1f} compute h{clock} (estimates; "
                f"{e.nodes_without_history} nodes without history), {e.downstream_not_included_count} descendants "
                f"left stale>")

    def _repr_html_(self) -> str:
        return _html(repr(self)[1:-1], self.per_node)


def impact_result(graph: LineageGraph, node_ids: int | Iterable[int], *, max_depth: int | None = None,
                  workspaces: Mapping[int, str] | None = None) -> ImpactResult:
    """`compute_impact` of `node_ids` with its descendants as a DataFrame (`reach_frame` columns).

    >>> g = LineageGraph.from_records([{"node_id": 1}, {"node_id": 2, "scheduler_type": "PAUSE"}], [(1, 2)])
    >>> r = impact_result(g, 1)
    >>> r.summary["downstream_count"], r.summary["paused_count"], r.to_json()["descendants"][0]["via"]
    (1, 1, 1)
    """
    ids = [int(node_ids)] if isinstance(node_ids, (int, np.integer)) else [int(n) for n in node_ids]
    impact = compute_impact(graph, ids, max_depth=max_depth)
    if impact.unknown:
        raise UnknownNodeError(impact.unknown)
    return ImpactResult(impact, reach_frame(graph, impact.reach, workspaces), graph)


def backfill_result(graph: LineageGraph, root: int, from_: date | str | None = None, to: date | str | None = None, *,
                    periods: Iterable[Period] = (), include: Iterable[int] | None = None, exclude: Iterable[int] = (),
                    all_downstream: bool = False, parallel_groups: int = 1,
                    workspaces: Mapping[int, str] | None = None) -> BackfillResult:
    """`estimate_backfill` of a backfill of `root` over bizdates `from_`..`to` (inclusive) and/or several
    `periods` (DataWorks' multiple periods: `(begin, end)` pairs or `"BEGIN:END"` strings), as DataFrames.

    `include` None or empty selects root + all descendants (DataWorks' massive mode) and
    `summary["selection_mode"]` says so; `exclude` ids are dry-run; `parallel_groups` > 1 runs that many
    groups of bizdates side by side (the wall-clock estimate). The request is built as `opsguard backfill`
    builds it, so `to_json()` equals the CLI's `--json` output.

    >>> g = LineageGraph.from_records([{"node_id": 1, "cron_express": "00 05 00 * * ?"},
    ...                                {"node_id": 2, "cron_express": "00 00 * * * ?"}], [(1, 2)])
    >>> b = backfill_result(g, 1, "2026-11-01", "2026-11-02")
    >>> b.summary["selection_mode"], b.summary["run_instance_count"], b.per_bizdate["run_instances"].tolist()
    ('all-downstream', 50, [25, 25])
    >>> backfill_result(g, 1, "2026-11-01", "2026-11-02", include=[1]).stale["node_id"].tolist()
    [2]
    """
    include_ids = tuple(int(n) for n in include) if include is not None else None
    exclude_ids = tuple(int(n) for n in exclude)
    _, unknown = graph.positions([int(root), *(include_ids or ()), *exclude_ids])
    if unknown:
        raise UnknownNodeError(unknown)
    request = BackfillRequest(root_id=int(root), periods=as_periods(from_, to, periods),
                              include_ids=include_ids or None, exclude_ids=exclude_ids,
                              all_downstream=all_downstream, is_parallel=parallel_groups > 1,
                              parallel_group=max(1, int(parallel_groups)))
    estimate = estimate_backfill(graph, request)
    selection, _ = graph.positions(estimate.node_ids)
    per_node = node_frame(graph, selection, workspaces)
    nodes = estimate.per_node
    per_node["run_instances"] = [p.run_instances for p in nodes]
    per_node["dry_run_instances"] = [p.dry_run_instances for p in nodes]
    per_node["median_seconds"] = [p.median_seconds for p in nodes]
    per_node["hours"] = [p.hours for p in nodes]
    per_node["has_history"] = [p.has_history for p in nodes]
    per_node["dry_run"] = [p.dry_run for p in nodes]
    per_node["on_critical_path"] = per_node["node_id"].isin(estimate.wall_clock.critical_path if estimate.wall_clock
                                                            else ())
    per_bizdate = pd.DataFrame({"bizdate": pd.to_datetime(list(estimate.bizdates)),
                                "run_instances": list(estimate.per_bizdate_run_instances)})
    if estimate.wall_clock is not None:
        per_bizdate["critical_path_hours"] = np.array(estimate.wall_clock.per_listed_bizdate_seconds) / 3600.0
    stale, _ = graph.positions(estimate.downstream_not_included)
    return BackfillResult(request, estimate, per_node, per_bizdate, node_frame(graph, stale, workspaces), graph)


def as_periods(from_: date | str | None, to: date | str | None, periods: Iterable[Period] = ()
               ) -> tuple[BizdatePeriod, ...]:
    """The bizdate periods of `from_`..`to` and `periods` (pairs, `BizdatePeriod`s or "BEGIN:END" text), in order.

    >>> [(p.begin.isoformat(), p.days) for p in as_periods("2026-10-01", "2026-10-31", ["2026-11-10:2026-11-12"])]
    [('2026-10-01', 31), ('2026-11-10', 3)]
    """
    if (from_ is None) != (to is None):
        raise ValueError("give both from_ and to (or periods=[(begin, end), ...])")
    out = [BizdatePeriod(as_bizdate(from_), as_bizdate(to))] if from_ is not None and to is not None else []
    for p in periods:
        if isinstance(p, BizdatePeriod):
            out.append(p)
        elif isinstance(p, str):
            begin, _, end = p.partition(":")
            out.append(BizdatePeriod(as_bizdate(begin), as_bizdate(end or begin)))
        else:
            begin, end = p
            out.append(BizdatePeriod(as_bizdate(begin), as_bizdate(end)))
    if not out:
        raise ValueError("no bizdates: give from_ and to, or periods=[(begin, end), ...]")
    return tuple(out)


def _label(frame: pd.DataFrame, node_id: int) -> str:
    """`name (id)` of a node of `frame`, or the id alone."""
    names = frame.loc[frame["node_id"] == node_id, "node_name"]
    return f"{names.iloc[0]} ({node_id})" if len(names) and names.iloc[0] else str(node_id)


def as_bizdate(value: date | str) -> date:
    """A bizdate from a `date` or a YYYY-MM-DD string.

    >>> as_bizdate("2026-11-01"), as_bizdate(date(2026, 11, 2))
    (datetime.date(2026, 11, 1), datetime.date(2026, 11, 2))
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"not a bizdate in YYYY-MM-DD form: {value!r}") from None


def _html(title: str, frame: pd.DataFrame) -> str:
    more = f"<p>+{len(frame) - _SHOWN} more rows</p>" if len(frame) > _SHOWN else ""
    return f"<p><b>{escape(title)}</b></p>{frame.head(_SHOWN).to_html(index=False)}{more}"
