"""unfreeze-baselines-at-risk: baselines whose nodes take part in the catch-up burst. (unfreeze-node)"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import baseline_names, graded, is_operation, rule_checkpoint, plural, shown_baselines
from evaluator.checks.unfreeze_catch_up import catch_up
from evaluator.events import EventCode, NodeOperation
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "unfreeze-baselines-at-risk"
DOC = CheckDoc(
    title="baselines competing with the catch-up",
    events=("unfreeze-node",),
    unit="baselines",
    measures="Baselines of the nodes that take part in the catch-up burst.",
    why="Catch-up instances share resource groups with the baseline's regular instances and can make them late.",
    to_pass=("Unfreeze after the baselines have finished for the day, or tell their owners.",),
)


@graded(NAME, applies=is_operation(EventCode.UNFREEZE_NODE))
def unfreeze_baselines_at_risk(event: NodeOperation, graph: LineageGraph, policy: Policy,
                               now: datetime, rule: Rule) -> Checkpoint:
    """Graded on baselines of the nodes that catch up (none when nothing catches up)."""
    burst = catch_up(event, graph, policy, now)
    ids = np.unique(graph.baselines_of(burst.run_idx)) if burst.run_instances else np.zeros(0, np.int64)
    facts = {"baseline_ids": ids, "run_instances": burst.run_instances, "baseline_names": baseline_names(graph, ids)}
    if not ids.size:
        message = "no baseline at risk from the catch-up"
    else:
        message = (f"{plural(int(ids.size), 'baseline')} at risk: the catch-up competes with "
                   f"{shown_baselines(graph, ids)} for resources")
    return rule_checkpoint(rule, policy, event.operator, int(ids.size), message, facts,
                 f"{plural(int(ids.size), 'baseline')} at risk")
