"""backfill-volume: instances the backfill will really run. (backfill-data)"""

from __future__ import annotations

from datetime import datetime

from evaluator.checks.derived import backfill_estimate
from evaluator.checks.judging import active_rule, judge, plural
from evaluator.events import Backfill
from evaluator.policy import Policy
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "backfill-volume"


def backfill_volume(event: object, graph: LineageGraph, policy: Policy, now: datetime) -> Checkpoint | None:
    """Graded on `run_instance_count` (dry-run instances of excluded nodes and off-cycle days not counted)."""
    if not isinstance(event, Backfill):
        return None
    rule = active_rule(policy, NAME)
    if rule is None:
        return None
    est = backfill_estimate(event, graph, policy)
    run_nodes = est.node_count - est.dry_run_node_count
    dry = est.instance_count - est.run_instance_count
    facts = {"run_instance_count": est.run_instance_count, "instance_count": est.instance_count,
             "node_count": est.node_count, "dry_run_node_count": est.dry_run_node_count,
             "bizdate_count": est.bizdate_count}
    message = (f"backfill runs {plural(est.run_instance_count, 'instance')} "
               f"({plural(run_nodes, 'node')} x {plural(est.bizdate_count, 'bizdate')}"
               f"{f'; +{dry:,} dry-run' if dry else ''})")
    return judge(rule, policy, event.operator, est.run_instance_count, message, facts,
                 f"{plural(est.run_instance_count, 'run instance')}")
