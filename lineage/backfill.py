"""Backfill volume: which nodes a backfill runs, how many instances, and for how long.

docs/contract.md "Semantics": instances of a node on a bizdate = fires of its cron on the run date
(bizdate + 1 day, weekday 1 = Monday). Selected nodes run; excluded ones are dry-run (their
instances, at least one per bizdate, count in `instance_count` only); a selected node whose cron
does not fire on a run date still gets one dry-run instance for that bizdate. Overlapping periods
count a bizdate once. Hours = run instances × the node's median run time, falling back to the
median of its workspace's nodes of the same program type, else a default.

Bounded whatever the request: periods are merged into disjoint spans and counted by arithmetic
(`bizdate_count`), and fire counts come from the calendar-bin histogram of the run dates
(`lineage.daybins`), one row per distinct day pattern of the selected crons, so a span of 9,999 years
costs what a span of 400 does. Run dates are day ordinals: bizdate 9999-12-31 runs on a day
`datetime.date` cannot hold, and nothing overflows. Only the per-bizdate listing is capped
(`LISTED_BIZDATES`); every count covers every bizdate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from lineage.bizdates import LISTED_BIZDATES, BizdatePeriod, bizdate_count, listed_bizdates, listed_spans, merge_periods
from lineage.cron import CronTable
from lineage.daybins import N_BINS, bin_histogram, bins_of_run
from lineage.graph import LineageGraph
from lineage.wall_clock import WallClock, estimate_wall_clock

__all__ = ["BizdatePeriod", "BackfillRequest", "BackfillNode", "BackfillEstimate", "estimate_backfill",
           "merge_periods", "bizdate_count", "listed_bizdates", "LISTED_BIZDATES"]

@dataclass(frozen=True)
class BackfillRequest:
    """A backfill as DataWorks receives it. `include_ids` None or () = root + all descendants.

    `is_parallel` / `parallel_group` are the message's `isParallel` / `parallelGroup`: how many groups of
    bizdates run side by side (they decide the wall-clock estimate, never the volume)."""

    root_id: int
    periods: tuple[BizdatePeriod, ...]
    include_ids: tuple[int, ...] | None = None
    exclude_ids: tuple[int, ...] = ()
    all_downstream: bool = False
    is_parallel: bool = False
    parallel_group: int = 1

    @property
    def parallel_groups(self) -> int:
        """Groups of bizdates that run side by side: `parallel_group` when parallel, else 1."""
        return max(1, int(self.parallel_group)) if self.is_parallel else 1


@dataclass(frozen=True)
class BackfillNode:
    """One selected node's share of the estimate."""

    node_id: int
    run_instances: int
    dry_run_instances: int
    median_seconds: float   # the run time used (own median, else the fallback, else the default)
    hours: float
    has_history: bool
    dry_run: bool           # excluded by the request


@dataclass(frozen=True)
class BackfillEstimate:
    """The volume of one backfill request; per-node figures stay arrays until `per_node` is read."""

    selection_mode: str               # "explicit" | "all-downstream"
    node_ids: tuple[int, ...]         # the selection, root first, excluded nodes included
    unknown: tuple[int, ...]          # requested ids the snapshot does not know
    node_count: int
    dry_run_node_count: int
    bizdate_count: int
    bizdates: tuple[date, ...]        # listed one by one: the first LISTED_BIZDATES of them (all, up to that)
    instance_count: int
    run_instance_count: int
    estimated_hours: float
    downstream_not_included_count: int
    downstream_not_included: tuple[int, ...]
    nodes_without_history: int        # selected run nodes whose run time is a fallback
    per_bizdate_run_instances: tuple[int, ...]   # for each listed bizdate
    bad_cron_node_ids: tuple[int, ...] = ()   # selected nodes without a valid cron (assumed daily)
    spans: tuple[BizdatePeriod, ...] = ()     # every bizdate, as disjoint periods (`merge_periods`)
    busiest_bizdate_run_instances: int = 0    # the most run instances of any one bizdate (all of them, not just listed)
    wall_clock: WallClock | None = None       # critical path per bizdate, bizdates in parallel groups
    include_outside_downstream: tuple[int, ...] = ()   # included ids neither the root nor below it
    exclude_outside_downstream: tuple[int, ...] = ()   # excluded ids neither the root nor below it
    exclude_not_selected: tuple[int, ...] = ()         # excluded ids the selection lacks: nothing to dry-run
    _per_node: tuple[np.ndarray, ...] = field(default=(), compare=False, repr=False)

    @property
    def per_node(self) -> tuple[BackfillNode, ...]:
        """Node by node, in `node_ids` order.

        >>> g = LineageGraph.from_records([{"node_id": 1, "cron_express": "00 05 00 * * ?"}], [])
        >>> (p,) = estimate_backfill(g, BackfillRequest(1, (BizdatePeriod(date(2026, 1, 1), date(2026, 1, 3)),))).per_node
        >>> p.node_id, p.run_instances, p.median_seconds, p.hours, p.has_history
        (1, 3, 600.0, 0.5, False)
        """
        if not self._per_node:
            return ()
        runs, dry, seconds, has, excluded = (a.tolist() for a in self._per_node)
        return tuple(BackfillNode(n, r, d, s, r * s / 3600.0, h, x)
                     for n, r, d, s, h, x in zip(self.node_ids, runs, dry, seconds, has, excluded))

    def to_json(self, *, include_nodes: bool = False, graph: LineageGraph | None = None) -> dict[str, Any]:
        """docs/contract.md "backfill" object (+ selection_mode, nodes_without_history, unknown, the ids of the request
        outside the root's downstream, and the wall-clock estimate: `estimated_wall_clock_hours`,
        `critical_path` ids and `critical_path_names`, `critical_path_hours`, `wall_clock_coverage`); with
        `include_nodes`, also "nodes" (the selected ids), "per_node", "bizdates", the downstream left out and
        each listed bizdate's critical path. With `graph` (the one estimated on), each `per_node` entry also
        carries the names beside its id (`LineageGraph.names_of`).

        >>> g = LineageGraph.from_records([{"node_id": 1, "cron_express": "00 05 00 * * ?"}, {"node_id": 2}], [(1, 2)])
        >>> e = estimate_backfill(g, BackfillRequest(1, (BizdatePeriod(date(2026, 1, 1), date(2026, 1, 1)),), (1,)))
        >>> out = e.to_json(include_nodes=True)
        >>> out["nodes"], out["run_instance_count"], out["downstream_not_included_count"], out["selection_mode"]
        ([1], 1, 1, 'explicit')
        """
        out: dict[str, Any] = {
            "node_count": self.node_count, "dry_run_node_count": self.dry_run_node_count,
            "bizdate_count": self.bizdate_count, "instance_count": self.instance_count,
            "run_instance_count": self.run_instance_count, "estimated_hours": round(self.estimated_hours, 3),
            "downstream_not_included_count": self.downstream_not_included_count,
            "selection_mode": self.selection_mode, "nodes_without_history": self.nodes_without_history,
            "unknown": list(self.unknown), "bad_cron_node_ids": list(self.bad_cron_node_ids),
            "include_outside_downstream": list(self.include_outside_downstream),
            "exclude_outside_downstream": list(self.exclude_outside_downstream),
            "exclude_not_selected": list(self.exclude_not_selected),
        }
        if self.wall_clock is not None:
            w = self.wall_clock
            out.update(estimated_wall_clock_hours=round(w.hours, 3), critical_path=list(w.critical_path),
                       critical_path_names=list(w.critical_path_names),
                       critical_path_hours=round(w.critical_path_hours, 3), wall_clock_coverage=w.coverage())
        if include_nodes:
            out["nodes"] = list(self.node_ids)
            out["per_node"] = [{"node_id": p.node_id, "run_instances": p.run_instances,
                                "dry_run_instances": p.dry_run_instances, "median_seconds": p.median_seconds,
                                "hours": round(p.hours, 4), "has_history": p.has_history, "dry_run": p.dry_run}
                               for p in self.per_node]
            if graph is not None:
                idx, _ = graph.positions(self.node_ids)
                for entry, named in zip(out["per_node"], graph.names_of(idx)):
                    entry.update(named)
            out["bizdates"] = [d.isoformat() for d in self.bizdates]
            out["spans"] = [{"begin": p.begin.isoformat(), "end": p.end.isoformat()} for p in self.spans]
            out["per_bizdate_run_instances"] = list(self.per_bizdate_run_instances)
            out["downstream_not_included"] = list(self.downstream_not_included)
            if self.wall_clock is not None:
                out["per_bizdate_critical_path_hours"] = [round(v / 3600.0, 4)
                                                          for v in self.wall_clock.per_listed_bizdate_seconds]
        return out


def estimate_backfill(graph: LineageGraph, request: BackfillRequest, *,
                      default_runtime_seconds: float = 600.0) -> BackfillEstimate:
    """The backfill volume of `request` on `graph` (docs/contract.md semantics; unknown ids in `unknown`).

    >>> g = LineageGraph.from_records([{"node_id": 1, "cron_express": "00 05 00 * * ?"},
    ...                                {"node_id": 2, "cron_express": "00 00 * * * ?"}], [(1, 2)])
    >>> e = estimate_backfill(g, BackfillRequest(1, (BizdatePeriod(date(2026, 1, 1), date(2026, 1, 2)),)))
    >>> e.selection_mode, e.node_ids, e.run_instance_count, e.estimated_hours
    ('all-downstream', (1, 2), 50, 8.333333333333334)
    """
    root, unknown_root = graph.positions([request.root_id])
    include = request.include_ids or ()
    explicit = bool(include) and not request.all_downstream
    inc, unknown_inc = graph.positions(include)
    exc, unknown_exc = graph.positions(request.exclude_ids)
    unknown = tuple(dict.fromkeys((*unknown_root, *unknown_inc, *unknown_exc)))
    below = np.zeros(graph.node_count, dtype=bool)   # the root and its descendants
    if not explicit or np.setdiff1d(np.concatenate((inc, exc)), root).size:
        below[graph.descendants_of_positions(root).idx] = True
    below[root] = True
    picked = below.copy() if not explicit else np.zeros(graph.node_count, dtype=bool)
    picked[inc] = True
    picked[root] = False
    others = np.flatnonzero(picked).astype(np.int32)
    selection = np.concatenate((root, others))  # root first, the rest in node_id order
    picked[root] = True
    excluded = np.zeros(graph.node_count, dtype=bool)
    excluded[exc] = True
    dry = excluded[selection]

    spans = merge_periods(request.periods)
    count = sum(p.days for p in spans)
    # Run dates (bizdate + 1 day) as a calendar-bin histogram: its nonzero bins are all the counting needs.
    hist = sum((bin_histogram(p.begin.toordinal() + 1, p.days) for p in spans), np.zeros(N_BINS, dtype=np.int64))
    table = graph.cron_table()
    cron = graph.codes("cron_express")[0][selection]
    good = np.zeros(selection.size, dtype=bool)
    good[cron >= 0] = table.valid[cron[cron >= 0]]
    row = np.where(good, cron, 0)
    if not table.valid.any():          # no usable cron in the whole graph: every node is assumed daily
        table = CronTable.build(["00 00 00 * * ?"])
    pattern = table.pattern[row] * good                       # the day pattern of each selected node's cron
    fire_days = table.patterns.astype(np.int64) @ hist        # per pattern: run dates it fires on
    fires = np.where(good, fire_days[pattern] * table.per_day[row], count)  # a bad cron: assume daily
    idle = np.where(good, count - fire_days[pattern], 0)
    runs = np.where(dry, 0, fires)
    dry_runs = np.where(dry, fires + idle, idle)  # excluded: max(k, 1) per bizdate = fires + idle days
    run_nodes = ~dry
    # Run instances of one bizdate depend only on its run date's bin: per bin, over the running nodes.
    running = run_nodes & good
    weight = np.zeros(table.patterns.shape[0], dtype=np.int64)
    np.add.at(weight, pattern[running], table.per_day[row[running]])
    per_bin = weight @ table.patterns.astype(np.int64) + int((run_nodes & ~good).sum())
    busiest = int(per_bin[hist > 0].max()) if count else 0
    listed = listed_bizdates(spans)
    listed_bins = np.concatenate([bins_of_run(p.begin.toordinal() + 1, p.days) for p in listed_spans(spans)]
                                 or [np.zeros(0, dtype=np.int64)])
    per_bizdate = per_bin[listed_bins]

    median = graph.median_runtime_seconds()[selection]
    has = ~np.isnan(median)
    seconds = np.where(has, median, graph.fallback_runtime_seconds()[selection])
    seconds = np.where(np.isnan(seconds), default_runtime_seconds, seconds)

    wall = estimate_wall_clock(
        graph, selection, np.where(dry, 0.0, seconds), has,
        np.where(good, table.pattern[row], table.patterns.shape[0]),        # a bad cron: assumed daily
        np.vstack((table.patterns, np.ones((1, N_BINS), dtype=bool))), hist,
        [(p.begin.toordinal() + 1, p.days) for p in spans], listed_bins, request.parallel_groups)

    left_out = graph.descendants_of_positions(selection).idx
    left_out_ids = np.sort(graph.node_ids(left_out))
    return BackfillEstimate(
        selection_mode="explicit" if explicit else "all-downstream",
        node_ids=tuple(graph.node_ids(selection).tolist()),
        unknown=unknown,
        node_count=int(selection.size),
        dry_run_node_count=int(dry.sum()),
        bizdate_count=count,
        bizdates=listed,
        instance_count=int(runs.sum() + dry_runs.sum()),
        run_instance_count=int(runs.sum()),
        estimated_hours=float((runs * seconds).sum() / 3600.0),
        downstream_not_included_count=int(left_out.size),
        downstream_not_included=tuple(left_out_ids.tolist()),
        nodes_without_history=int((run_nodes & ~has).sum()),
        per_bizdate_run_instances=tuple(per_bizdate.tolist()),
        bad_cron_node_ids=tuple(graph.node_ids(selection[~good]).tolist()),
        spans=spans,
        busiest_bizdate_run_instances=busiest,
        wall_clock=wall,
        include_outside_downstream=_ids_where(graph, inc, ~below[inc]),
        exclude_outside_downstream=_ids_where(graph, exc, ~below[exc]),
        exclude_not_selected=_ids_where(graph, exc, ~picked[exc]),
        _per_node=(runs, dry_runs, seconds, has, dry),
    )


def _ids_where(graph: LineageGraph, idx: np.ndarray, mask: np.ndarray) -> tuple[int, ...]:
    """Node ids of the positions `idx[mask]`, in request order, each once."""
    return tuple(dict.fromkeys(graph.node_ids(idx[mask]).tolist()))
