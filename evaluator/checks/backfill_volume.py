"""backfill-volume: instances the backfill will really run. (backfill-data)"""

from __future__ import annotations

from datetime import datetime

from evaluator.checks.derived import backfill_estimate
from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import graded, is_backfill, rule_checkpoint, plural
from evaluator.events import Backfill
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "backfill-volume"
DOC = CheckDoc(
    title="backfill volume",
    events=("backfill-data",),
    unit="run instances",
    measures="Instances the backfill really runs: selected nodes x bizdates x fires per day of each node's "
             "cron (daily = 1, hourly = 24). Dry-run instances of excluded nodes and of off-cycle days are "
             "counted apart, not here.",
    why="Every backfill instance takes a slot in the resource group the production instances use; a large "
        "backfill queues tonight's regular runs behind it.",
    to_pass=("Split the backfill into shorter periods (e.g. a week each) and run them one after another.",
             "Select only the nodes whose data is wrong instead of root + all downstream.",
             "Exclude nodes whose data is already right: they dry-run and cost nothing."),
)


@graded(NAME, applies=is_backfill)
def backfill_volume(event: Backfill, graph: LineageGraph, policy: Policy, now: datetime, rule: Rule) -> Checkpoint:
    """Graded on `run_instance_count` (dry-run instances of excluded nodes and off-cycle days not counted)."""
    est = backfill_estimate(event, graph, policy)
    run_nodes = est.node_count - est.dry_run_node_count
    dry = est.instance_count - est.run_instance_count
    facts = {"run_instance_count": est.run_instance_count, "instance_count": est.instance_count,
             "node_count": est.node_count, "dry_run_node_count": est.dry_run_node_count,
             "bizdate_count": est.bizdate_count}
    message = (f"backfill runs {plural(est.run_instance_count, 'instance')} "
               f"({plural(run_nodes, 'node')} x {plural(est.bizdate_count, 'bizdate')}"
               f"{f'; +{dry:,} dry-run' if dry else ''})")
    return rule_checkpoint(rule, policy, event.operator, est.run_instance_count, message, facts,
                 f"{plural(est.run_instance_count, 'run instance')}")
