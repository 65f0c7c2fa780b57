"""unfreeze-catch-up: the burst of instances released when a frozen node is unfrozen. (unfreeze-node)

Missed bizdates of an unfrozen node = the bizdates after its last successful one, up to yesterday's
(today's run). Its live descendants missed the same bizdates (they waited on it); those still below
another frozen node stay blocked and do not run. Instances per bizdate come from each node's cron.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from evaluator.checks.derived import downstream, memoised, origins, yesterday_bizdate
from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import graded, is_operation, rule_checkpoint, plural, subject
from evaluator.events import EventCode, NodeOperation
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage import cron
from lineage.errors import CronError
from lineage.graph import LineageGraph

NAME = "unfreeze-catch-up"
DOC = CheckDoc(
    title="the catch-up burst after an unfreeze",
    events=("unfreeze-node",),
    unit="catch-up instances",
    measures="Instances released at once by the unfreeze: for every bizdate missed since the node's last "
             "successful run (up to yesterday's), the instances of the node and of its live descendants that "
             "are not blocked by another frozen node, per their cron.",
    why="While a node is frozen its descendants wait; when it is unfrozen every missed bizdate becomes runnable "
        "at the same moment, and the burst competes with the regular nightly runs for the resource group.",
    to_pass=("Set the missed instances you do not need to success (or dry-run) first, so only the recent "
             "bizdates run.",
             "Unfreeze outside the nightly peak, or catch up with backfills of a few bizdates at a time."),
)


@dataclass(frozen=True)
class CatchUp:
    """What an unfreeze releases: per unfrozen node its missed bizdates; the instances that will run."""

    missed: dict[int, tuple[date, ...]]   # unfrozen node id -> missed bizdates (oldest first)
    without_history: tuple[int, ...]      # unfrozen nodes with no run history at all (burst unknown)
    without_success: tuple[int, ...]      # with history but no success in it (counted from its start)
    run_idx: np.ndarray                   # positions that will run: unfrozen nodes + live, unblocked descendants
    run_instances: int
    dry_run_instances: int                # of dry-run descendants (succeed without running)
    still_blocked: int                    # descendants still below another frozen node
    unreadable_cron: int                  # nodes whose cron could not be read (counted as daily)


def catch_up(event: NodeOperation, graph: LineageGraph, policy: Policy, now: datetime) -> CatchUp:
    """The catch-up burst of unfreezing `event.node_ids` (memoised per evaluation)."""
    return memoised(("catch-up", id(graph), event.node_ids, yesterday_bizdate(now, policy)),
                    lambda: _catch_up(event, graph, policy, now))


def _catch_up(event: NodeOperation, graph: LineageGraph, policy: Policy, now: datetime) -> CatchUp:
    down = downstream(event, graph, policy)
    until = yesterday_bizdate(now, policy)
    start_ids = graph.node_ids(down.start_idx).tolist()
    missed: dict[int, tuple[date, ...]] = {}
    without_history, without_success = [], []
    for node_id in start_ids:
        last = graph.last_success_bizdate(node_id)
        if last is None:
            history = graph.instance_history(node_id)
            if not history:
                without_history.append(node_id)
                missed[node_id] = ()
                continue
            without_success.append(node_id)
            last = history[0][0] - timedelta(days=1)
        missed[node_id] = tuple(last + timedelta(days=d) for d in range(1, (until - last).days + 1))
    blocked = np.zeros(down.idx.size, dtype=bool)
    if down.paused.any():  # frozen descendants and everything below them keep waiting
        below = graph.descendants(graph.node_ids(down.idx[down.paused]).tolist())
        blocked = np.isin(down.idx, below.idx) | down.paused
    reach = down.impact.reach
    origin = origins(graph, down.start_idx, reach.idx, reach.depth, reach.via)
    origin_ids = graph.node_ids(origin[origin >= 0]) if origin.size else np.zeros(0, np.int64)
    origin_of = np.zeros(origin.size, dtype=np.int64)
    origin_of[origin >= 0] = origin_ids
    run_mask = down.live & ~blocked
    dry_mask = down.skipped & ~blocked
    codes, expressions = graph.codes("cron_express")
    run_instances = dry_instances = unreadable = 0
    for node_id, start in zip(start_ids, down.start_idx.tolist()):
        days = missed[node_id]
        if not days:
            continue
        mine = origin_of == node_id
        run_codes = np.concatenate([codes[reach.idx[mine & run_mask]], codes[[start]]])
        n, bad = _instances(_by_expression(run_codes, expressions), days)
        run_instances, unreadable = run_instances + n, unreadable + bad
        dry_instances += _instances(_by_expression(codes[reach.idx[mine & dry_mask]], expressions), days)[0]
    run_idx = np.concatenate([down.start_idx, down.idx[run_mask]])
    return CatchUp(missed=missed, without_history=tuple(without_history), without_success=tuple(without_success),
                   run_idx=run_idx, run_instances=run_instances, dry_run_instances=dry_instances,
                   still_blocked=int(blocked.sum()), unreadable_cron=unreadable)


def _by_expression(codes: np.ndarray, expressions: tuple[str, ...]) -> dict[str | None, int]:
    """Node count per cron expression (None for a node without one)."""
    counts = np.bincount(codes + 1, minlength=len(expressions) + 1)
    return {(expressions[c - 1] if c else None): int(counts[c]) for c in np.flatnonzero(counts).tolist()}


def _instances(crons: dict[str | None, int], bizdates: tuple[date, ...]) -> tuple[int, int]:
    """(instances over `bizdates` of nodes with these crons, nodes whose cron was unreadable → 1/day)."""
    total = unreadable = 0
    run_dates = tuple(b + timedelta(days=1) for b in bizdates)
    for expression, nodes in crons.items():
        try:
            per_node = cron.fires_over(expression, run_dates)
        except (CronError, TypeError, ValueError):
            per_node, unreadable = len(bizdates), unreadable + nodes
        total += per_node * nodes
    return total, unreadable


@graded(NAME, applies=is_operation(EventCode.UNFREEZE_NODE))
def unfreeze_catch_up(event: NodeOperation, graph: LineageGraph, policy: Policy,
                      now: datetime, rule: Rule) -> Checkpoint:
    """Graded on the instances that will run at once after the unfreeze (missed bizdates x fires per day)."""
    burst = catch_up(event, graph, policy, now)
    missed_days = max((len(d) for d in burst.missed.values()), default=0)
    facts = {"run_instances": burst.run_instances, "dry_run_instances": burst.dry_run_instances,
             "missed_bizdates": {n: list(d) for n, d in burst.missed.items()},
             "run_node_count": int(burst.run_idx.size), "still_blocked": burst.still_blocked,
             "without_history": burst.without_history, "without_success": burst.without_success,
             "unreadable_cron": burst.unreadable_cron, "run_node_ids": graph.node_ids(burst.run_idx)}
    what = f"unfreezing {subject(graph, event.node_ids)}"
    if burst.run_instances == 0:
        message = f"{what} releases no catch-up run (no missed bizdate since its last success)"
    else:
        first = min(d[0] for d in burst.missed.values() if d)
        message = (f"{what} releases ~{burst.run_instances:,} catch-up instances at once: "
                   f"{plural(missed_days, 'missed bizdate')} since {first} x "
                   f"{plural(int(burst.run_idx.size), 'node')} (it and live downstream)")
    not_frozen = [n for n in burst.missed if not graph.node(n).scheduler_type == "PAUSE"]
    if not_frozen:
        message += f"; {subject(graph, not_frozen)} not frozen in the snapshot"
    if burst.still_blocked:
        message += f"; {burst.still_blocked:,} stay blocked below other frozen nodes"
    if burst.without_history:
        message += f"; no run history for {plural(len(burst.without_history), 'node')}: burst unknown"
    elif burst.without_success:
        message += "; no success in the history window, so at least this many"
    return rule_checkpoint(rule, policy, event.operator, burst.run_instances, message, facts,
                 f"~{burst.run_instances:,} catch-up instances")
