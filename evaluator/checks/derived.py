"""Facts several checks share (downstream of the event's nodes, the backfill estimate), computed once
per evaluation: inside `evaluation_scope()` they are memoised, outside it each call computes afresh,
so every check stays a pure function of (event, graph, policy, now)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import numpy as np

from evaluator.events import Backfill
from evaluator.policy import Policy
from lineage.backfill import BackfillEstimate, estimate_backfill
from lineage.graph import LineageGraph
from lineage.impact import Impact, compute_impact

__all__ = ["Downstream", "downstream", "backfill_estimate", "backfill_running", "evaluation_scope", "memoised",
           "bizdate_today", "yesterday_bizdate",
           "origins", "scheduler_masks"]

T = TypeVar("T")
_MEMO: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar("opsguard_evaluation_memo", default=None)


@contextmanager
def evaluation_scope() -> Iterator[None]:
    """Memoise shared facts for the checks of one evaluation (thread- and task-local)."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def _memo(key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    memo = _MEMO.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def scheduler_masks(graph: LineageGraph, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(paused, skipped) boolean masks over positions `idx`: frozen (PAUSE) and dry-run (SKIP) nodes."""
    return graph.is_paused[idx], graph.is_skipped[idx]


@dataclass(frozen=True)
class Downstream:
    """Descendants of the event's nodes, split into live, frozen (PAUSE) and dry-run (SKIP) ones."""

    impact: Impact
    start_idx: np.ndarray     # positions of the event's nodes the snapshot knows
    idx: np.ndarray           # positions of every descendant (sorted by depth)
    depth: np.ndarray
    live: np.ndarray          # bool mask over idx
    paused: np.ndarray
    skipped: np.ndarray

    @property
    def live_idx(self) -> np.ndarray:
        return self.idx[self.live]

    def counts(self) -> dict[str, int]:
        """{"downstream", "live", "frozen", "dry_run", "max_depth"} — the shape every message reports."""
        return {"downstream": int(self.idx.size), "live": int(self.live.sum()), "frozen": int(self.paused.sum()),
                "dry_run": int(self.skipped.sum()), "max_depth": int(self.impact.max_depth)}

    def apart_ids(self, graph: LineageGraph) -> dict[str, np.ndarray]:
        """{"frozen_node_ids", "dry_run_node_ids"}: the descendants counted apart, as facts name them."""
        return {"frozen_node_ids": graph.node_ids(self.idx[self.paused]),
                "dry_run_node_ids": graph.node_ids(self.idx[self.skipped])}


def downstream(event: Any, graph: LineageGraph, policy: Policy) -> Downstream:
    """The descendants of `event.node_ids` (unknown ids ignored, never an error)."""
    node_ids = tuple(event.node_ids)

    def compute() -> Downstream:
        impact = compute_impact(graph, node_ids, high_priority=policy.high_priority)
        idx = impact.reach.idx
        paused, skipped = scheduler_masks(graph, idx)
        start_idx, _ = graph.positions(impact.nodes)
        return Downstream(impact=impact, start_idx=start_idx, idx=idx, depth=impact.reach.depth,
                          live=~(paused | skipped), paused=paused, skipped=skipped)

    return _memo(("downstream", id(graph), node_ids, policy.high_priority), compute)


def backfill_estimate(event: Backfill, graph: LineageGraph, policy: Policy) -> BackfillEstimate:
    """The lineage backfill estimate of `event` (same call as `opsguard backfill`)."""
    return _memo(("backfill", id(graph), id(event), policy.default_runtime_seconds),
                 lambda: estimate_backfill(graph, event.to_request(),
                                           default_runtime_seconds=policy.default_runtime_seconds))


def backfill_running(event: Backfill, graph: LineageGraph, policy: Policy) -> np.ndarray:
    """Positions of the backfill's selected nodes that really run (the excluded ones dry-run), root first."""
    def compute() -> np.ndarray:
        ids = np.array(backfill_estimate(event, graph, policy).node_ids, dtype=np.int64)
        if event.exclude_node_ids:
            ids = ids[~np.isin(ids, np.array(event.exclude_node_ids, dtype=np.int64))]
        return graph.positions(ids)[0]

    return _memo(("running", id(graph), id(event), policy.default_runtime_seconds), compute)


def bizdate_today(now: datetime, policy: Policy) -> date:
    """Today's date in the DataWorks region (the newest bizdate that is not yet complete)."""
    return now.astimezone(policy.timezone).date()


def yesterday_bizdate(now: datetime, policy: Policy) -> date:
    """The bizdate today's daily instances run for."""
    return bizdate_today(now, policy) - timedelta(days=1)


def origins(graph: LineageGraph, start_idx: np.ndarray, reach_idx: np.ndarray, depth: np.ndarray,
            via: np.ndarray) -> np.ndarray:
    """For each reached position, the start position it was first reached from (follows `via` level by level)."""
    origin = np.full(graph.node_count, -1, dtype=np.int64)
    origin[start_idx] = start_idx
    if reach_idx.size:
        for level in range(1, int(depth.max()) + 1):
            at = depth == level
            origin[reach_idx[at]] = origin[via[at]]
    return origin[reach_idx]


def memoised(key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """`compute()` once per evaluation for `key` (every call outside `evaluation_scope`)."""
    return _memo(key, compute)
