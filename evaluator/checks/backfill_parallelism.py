"""backfill-parallelism: instances queued at once = parallel groups x run instances per bizdate. (backfill-data)"""

from __future__ import annotations

from datetime import datetime

from evaluator.checks.derived import backfill_estimate
from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import graded, is_backfill, rule_checkpoint, plural
from evaluator.events import Backfill
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "backfill-parallelism"
DOC = CheckDoc(
    title="instances queued at once",
    events=("backfill-data",),
    unit="instances at once",
    measures="Parallel groups (bizdates run side by side, at most the number of bizdates) x the run "
             "instances of the busiest bizdate.",
    why="Parallel bizdates put their instances in the queue together; beyond a few hundred, the resource "
        "group runs the backfill instead of production.",
    to_pass=("Use fewer parallel groups, or run the bizdates one at a time (not parallel).",
             "Split the selection so each backfill queues less."),
)


@graded(NAME, applies=is_backfill)
def backfill_parallelism(event: Backfill, graph: LineageGraph, policy: Policy, now: datetime, rule: Rule) -> Checkpoint:
    """Graded on min(parallel groups, bizdates) x the busiest bizdate's run instances (a combination rule)."""
    est = backfill_estimate(event, graph, policy)
    groups = event.parallel_group if event.is_parallel else 1
    at_once = min(groups, max(est.bizdate_count, 1))
    per_bizdate = est.busiest_bizdate_run_instances   # over every bizdate, not only the listed ones
    concurrent = at_once * per_bizdate
    facts = {"is_parallel": event.is_parallel, "parallel_group": event.parallel_group,
             "bizdates_at_once": at_once, "max_run_instances_per_bizdate": per_bizdate,
             "concurrent_instances": concurrent}
    mode = f"{plural(at_once, 'bizdate')} in parallel" if at_once > 1 else "one bizdate at a time"
    message = (f"up to {plural(concurrent, 'instance')} queued at once ({mode} x "
               f"{plural(per_bizdate, 'run instance')} per bizdate)")
    return rule_checkpoint(rule, policy, event.operator, concurrent, message, facts,
                 f"{plural(concurrent, 'instance')} at once")
