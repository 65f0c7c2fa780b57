"""backfill-hours: estimated compute hours of the instances that run. (backfill-data)"""

from __future__ import annotations

from datetime import datetime

from evaluator.checks.derived import backfill_estimate
from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import graded, is_backfill, rule_checkpoint, plural
from evaluator.events import Backfill
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph
from lineage.wall_clock import hours_text

NAME = "backfill-hours"
DOC = CheckDoc(
    title="estimated compute hours",
    events=("backfill-data",),
    unit="estimated hours",
    settings=("default_runtime_minutes",),
    measures="Sum over the instances that run of the node's median run time from recent history; nodes "
             "without history use the median of their workspace's nodes of the same program type, else "
             "`default_runtime_minutes`. An estimate: the message says how many nodes had no history. The "
             "message also gives the wall-clock estimate (not graded): each bizdate's critical path through "
             "the selection, bizdates run in the parallel groups asked for.",
    why="Hours are what the resource group actually spends; a median, so reality can be longer.",
    to_pass=("Split the backfill into shorter periods, or fewer nodes per backfill.",
             "Exclude the expensive nodes whose data is already right (the details page lists hours per node)."),
)


@graded(NAME, applies=is_backfill)
def backfill_hours(event: Backfill, graph: LineageGraph, policy: Policy, now: datetime, rule: Rule) -> Checkpoint:
    """Graded on `estimated_hours` (median run times); says how many nodes had no history to go on."""
    est = backfill_estimate(event, graph, policy)
    hours = float(est.estimated_hours)
    facts = {"estimated_hours": round(hours, 3), "nodes_without_history": est.nodes_without_history,
             "default_runtime_seconds": policy.default_runtime_seconds}
    message = f"~{hours:,.1f} compute hours estimated from median run times"
    if est.nodes_without_history:
        message += (f" ({plural(est.nodes_without_history, 'node')} without history: workspace median "
                    f"or {policy.default_runtime_seconds / 60:g} min assumed)")
    if est.wall_clock is not None:   # said, not graded: the hours above are what the resource group spends
        w = est.wall_clock
        facts.update(estimated_wall_clock_hours=round(w.hours, 3), critical_path_hours=round(w.critical_path_hours, 3),
                     critical_path=list(w.critical_path), wall_clock_coverage=w.coverage())
        message += (f"; ~{hours_text(w.hours)} on the clock ({plural(w.parallel_groups, 'parallel group')}, "
                    f"critical path ~{hours_text(w.critical_path_hours)} a bizdate through "
                    f"{plural(len(w.critical_path), 'node')})")
    return rule_checkpoint(rule, policy, event.operator, hours, message, facts, f"~{hours:,.0f} compute hours")
