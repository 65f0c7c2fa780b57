"""How long a backfill takes on the clock: the critical path of each bizdate, bizdates run in parallel groups.

The serial sum of compute hours (`BackfillEstimate.estimated_hours`) says what the resource group spends,
not when the data is back. This estimate says the second:

- **One bizdate** takes the critical path of the selected sub-DAG (`lineage.critical_path`): each running
  node weighs its median run time (the same figure as `estimated_hours`: its own median, else its
  workspace/program-type median, else the default). Excluded (dry-run) nodes weigh nothing, and so does a
  node whose cron does not fire on that bizdate's run date (its instance is a dry-run one). Bizdates differ
  only by the calendar class of their run date (`lineage.daybins`), so the walk is done once per distinct
  firing pattern of the selected crons among the run dates asked for, all patterns in one walk.
- **INFERRED: one instance per node on the path.** DataWorks runs the instances of an hourly or minute
  node within one bizdate side by side unless the node depends on its own previous cycle (documented);
  the snapshot does not record that self-dependency, so a node adds one instance's run time.
- **Bizdates in groups.** DataWorks documents that group execution runs several bizdates in parallel and
  that, without it, bizdates run one day at a time. INFERRED: the bizdates, in order, are split into
  `parallel_groups` runs of consecutive dates as even as possible; the groups run side by side, each runs
  its bizdates one after another. Wall clock = the longest group's sum of critical paths. Waiting for
  resources, retries and instances of other work are not modelled: it is a lower bound under median run
  times, stated as an estimate with how many nodes had no history.

Bounded like the volume estimate: the kinds of bizdate walked exactly are capped by a work budget (for a
large selection the rarest kinds are folded into one that fires whenever any of them does: longer, never
shorter), and group sums over long spans come from the 400-year calendar cycle, not day by day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lineage.critical_path import SubDag, critical_path, longest_finish, sub_dag
from lineage.daybins import CYCLE_DAYS, N_BINS, bins_of_run
from lineage.graph import LineageGraph

__all__ = ["WallClock", "estimate_wall_clock", "group_sums", "group_sums_listed", "hours_text"]

# Kinds of bizdate (distinct firing patterns of the selected crons) walked exactly: every kind for a small
# selection; for a large one, as many as WALK_BUDGET array steps allow, at least MIN_PATTERN_COLUMNS. The
# rarest kinds beyond are folded into one that fires where any of them fires (longer, never shorter).
MIN_PATTERN_COLUMNS, MAX_PATTERN_COLUMNS, WALK_BUDGET = 3, 32, 400_000
# Groups summed exactly over spans longer than the listed bizdates; beyond, (bizdates per group) x the
# longest bizdate bounds the longest group from above.
MAX_EXACT_GROUPS = 10_000


@dataclass(frozen=True)
class WallClock:
    """The wall-clock estimate of one backfill (hours are estimates from median run times)."""

    hours: float                        # the longest group's sum of per-bizdate critical paths
    critical_path: tuple[int, ...]      # node ids of the longest bizdate's critical path, first to last
    critical_path_names: tuple[str, ...]
    critical_path_hours: float          # that bizdate's critical path
    parallel_groups: int                # groups that really run side by side (at most the bizdates)
    longest_group_bizdates: int         # bizdates of the largest group
    run_nodes: int                      # selected nodes that run (not excluded)
    nodes_without_history: int          # of those, weighed by a workspace median or the default
    critical_path_without_history: int  # of the path's nodes
    per_listed_bizdate_seconds: tuple[float, ...] = ()   # each listed bizdate's critical path

    def coverage(self) -> dict[str, int]:
        """What the estimate stands on: how many running nodes had no run history, on and off the path."""
        return {"run_nodes": self.run_nodes, "nodes_without_history": self.nodes_without_history,
                "critical_path_nodes": len(self.critical_path),
                "critical_path_without_history": self.critical_path_without_history,
                "parallel_groups": self.parallel_groups, "longest_group_bizdates": self.longest_group_bizdates}


def estimate_wall_clock(graph: LineageGraph, selection: np.ndarray, seconds: np.ndarray, has_history: np.ndarray,
                        node_pattern: np.ndarray, patterns: np.ndarray, hist: np.ndarray,
                        spans: Sequence[tuple[int, int]], listed_bins: np.ndarray, parallel_groups: int) -> WallClock:
    """The wall clock of a backfill whose selection (positions, in order) runs `seconds` per instance.

    `seconds` is 0 for nodes that do not run (excluded). Node k fires on a run date of bin b when
    `patterns[node_pattern[k], b]`; `hist` counts the requested run dates per bin; `spans` are the bizdate
    spans as (first run-date ordinal, days), oldest first; `listed_bins` the run-date bins of the listed
    bizdates (all of them when they are few).

    >>> g = LineageGraph.from_records([{"node_id": n, "node_name": f"n{n}"} for n in (1, 2, 3)], [(1, 2), (1, 3)])
    >>> hist = np.zeros(N_BINS, dtype=np.int64); hist[5] = 4
    >>> w = estimate_wall_clock(g, np.arange(3), np.array([3600.0, 7200.0, 1800.0]), np.ones(3, bool),
    ...                         np.zeros(3, dtype=np.int64), np.ones((1, N_BINS), bool), hist,
    ...                         [(800_000, 4)], np.full(4, 5), 2)
    >>> w.critical_path_names, w.critical_path_hours, w.hours, w.parallel_groups
    (('n1', 'n2'), 3.0, 6.0, 2)
    """
    count = sum(days for _, days in spans)
    run_bins = np.flatnonzero(hist > 0)
    used = np.flatnonzero(np.bincount(node_pattern, minlength=patterns.shape[0]))
    row_of = np.zeros(patterns.shape[0], dtype=np.int64)
    row_of[used] = np.arange(used.size)
    sub = sub_dag(graph, selection)
    kinds, kind_of_bin = _bizdate_kinds(patterns[used][:, run_bins], hist[run_bins], _column_budget(sub))
    node_row = row_of[node_pattern]
    weights = np.array([seconds * np.take(fires, node_row) for fires in kinds.T])   # (kinds, nodes)
    finish = longest_finish(sub, weights)
    lengths = finish.max(axis=1) if sub.size else np.zeros(kinds.shape[1])
    per_bin = np.zeros(N_BINS)
    per_bin[run_bins] = lengths[kind_of_bin]
    groups = max(1, min(int(parallel_groups), count)) if count else 1
    if count and count <= listed_bins.size:
        sums = group_sums_listed(per_bin[listed_bins], groups)
    elif groups <= MAX_EXACT_GROUPS:
        sums = group_sums(spans, per_bin, groups)
    else:   # more groups than anyone runs (DataWorks offers a handful): the longest group, bounded above
        sums = np.array([-(-count // groups) * float(per_bin[run_bins].max(initial=0.0))])
    worst = int(np.argmax(lengths)) if lengths.size else 0
    path = critical_path(graph, sub, weights[worst], finish[worst])
    on_path = path[weights[worst, path] > 0]   # zero-weight nodes (dry-run, not firing) add nothing
    running = seconds > 0
    return WallClock(
        hours=float(sums.max() / 3600.0) if sums.size else 0.0,
        critical_path=tuple(graph.node_ids(sub.idx[on_path]).tolist()),
        critical_path_names=tuple(graph.labels(sub.idx[on_path])),
        critical_path_hours=float(lengths[worst] / 3600.0) if lengths.size else 0.0,
        parallel_groups=groups,
        longest_group_bizdates=-(-count // groups) if count else 0,
        run_nodes=int(running.sum()),
        nodes_without_history=int((running & ~has_history).sum()),
        critical_path_without_history=int((~has_history[on_path]).sum()),
        per_listed_bizdate_seconds=tuple(per_bin[listed_bins].tolist()),
    )


def _column_budget(sub: SubDag) -> int:
    """How many kinds of bizdate to walk exactly: all of them (up to `MAX_PATTERN_COLUMNS`) for a small
    selection, down to `MIN_PATTERN_COLUMNS` as its nodes + edges approach `WALK_BUDGET` per column."""
    work = sub.size + int(sub.src.size)
    return max(MIN_PATTERN_COLUMNS, min(MAX_PATTERN_COLUMNS, WALK_BUDGET // max(work, 1)))


def _bizdate_kinds(fires: np.ndarray, days: np.ndarray, budget: int) -> tuple[np.ndarray, np.ndarray]:
    """(patterns x kinds bool: the pattern fires on that kind of bizdate, the kind of each run-date bin).

    `fires` is patterns x bins; kinds are its distinct columns. Beyond `budget` kinds, the ones with the
    fewest bizdates (`days` per bin) are folded into one kind that fires where any of them fires.

    >>> fires = np.array([[1, 1, 1, 1], [1, 0, 0, 0], [0, 1, 0, 0]], dtype=bool)   # daily, two weeklies
    >>> kinds, kind_of_bin = _bizdate_kinds(fires, np.array([5, 4, 4, 4]), 2)
    >>> kinds.T.astype(int).tolist(), kind_of_bin.tolist()    # daily-only days kept; the weeklies' days folded
    ([[1, 0, 0], [1, 1, 1]], [1, 1, 0, 0])
    """
    if not fires.shape[1]:
        return np.zeros((fires.shape[0], 1), dtype=bool), np.zeros(0, dtype=np.int64)
    columns, kind = np.unique(fires.T, axis=0, return_inverse=True)
    kind = kind.ravel()
    if columns.shape[0] <= budget:
        return columns.T, kind
    weight = np.bincount(kind, weights=days.astype(np.float64), minlength=columns.shape[0])
    keep = np.argsort(-weight, kind="stable")[:budget - 1]
    renumber = np.full(columns.shape[0], budget - 1, dtype=np.int64)
    renumber[keep] = np.arange(keep.size)
    folded = np.zeros((budget, fires.shape[0]), dtype=bool)
    folded[:keep.size] = columns[keep]
    folded[-1] = columns[renumber == budget - 1].any(axis=0)
    return folded.T, renumber[kind]


def group_sums_listed(per_day: np.ndarray, groups: int) -> np.ndarray:
    """Sum of `per_day` over each of `groups` runs of consecutive days, as even as possible (larger first).

    >>> group_sums_listed(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 2).tolist()
    [6.0, 9.0]
    """
    prefix = np.concatenate(([0.0], np.cumsum(per_day)))
    return np.diff(prefix[_bounds(per_day.size, groups)])


def group_sums(spans: Sequence[tuple[int, int]], per_bin: np.ndarray, groups: int) -> np.ndarray:
    """`group_sums_listed` for spans of any length (first run-date ordinal, days), from the calendar cycle.

    >>> per_bin = np.arange(N_BINS, dtype=float)
    >>> spans = [(739_000, 10), (739_020, 5)]
    >>> days = np.concatenate([bins_of_run(f, d) for f, d in spans])
    >>> group_sums(spans, per_bin, 4).tolist() == group_sums_listed(per_bin[days], 4).tolist()
    True
    """
    starts = np.cumsum([0] + [days for _, days in spans])
    count = int(starts[-1])
    bounds = _bounds(count, groups)
    cuts = np.union1d(starts, bounds)
    cuts = cuts[cuts < count]
    span = np.searchsorted(starts, cuts, side="right") - 1
    firsts = np.array([first for first, _ in spans], dtype=np.int64)[span] + (cuts - starts[span])
    ends = np.minimum(np.r_[cuts[1:], count], starts[span + 1])
    cycle = per_bin[bins_of_run(1, CYCLE_DAYS)]
    prefix = np.concatenate(([0.0], np.cumsum(cycle)))
    pieces = _run_sums(firsts, ends - cuts, prefix)
    group = np.searchsorted(bounds, cuts, side="right") - 1
    return np.bincount(group, weights=pieces, minlength=bounds.size - 1)


def _run_sums(firsts: np.ndarray, days: np.ndarray, prefix: np.ndarray) -> np.ndarray:
    """Σ of the cycle's per-day values over days [first, first + days) (ordinals), whole cycles multiplied."""
    whole, rest = np.divmod(days, CYCLE_DAYS)
    at = (firsts - 1) % CYCLE_DAYS
    end = at + rest
    inside = prefix[np.minimum(end, CYCLE_DAYS)] - prefix[at]
    wrapped = prefix[np.maximum(end - CYCLE_DAYS, 0)]
    return whole * prefix[-1] + inside + wrapped


def _bounds(count: int, groups: int) -> np.ndarray:
    """Start index of each of `groups` runs of `count` items (larger runs first), then `count`."""
    q, r = divmod(count, groups)
    k = np.arange(groups + 1, dtype=np.int64)
    return k * q + np.minimum(k, r)


def hours_text(hours: float) -> str:
    """Hours as a person reads them: minutes below one hour.

    >>> hours_text(0.16), hours_text(1.432), hours_text(1234.5)
    ('10 min', '1.4 h', '1,234.5 h')
    """
    return f"{hours * 60:.0f} min" if hours < 1 else f"{hours:,.1f} h"
