"""baselines-downstream: baselines (SLA commitments) whose nodes a freeze or undeploy stops."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from evaluator.checks.derived import downstream
from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import baseline_names, graded, is_operation, rule_checkpoint, plural, shown_baselines
from evaluator.checks.high_priority_downstream import STOPPING_CODES
from evaluator.events import NodeOperation
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "baselines-downstream"
DOC = CheckDoc(
    title="baselines would breach",
    events=("freeze-node", "undeploy-node"),
    unit="baselines",
    measures="Baselines of the nodes themselves and of their live descendants (a node's own baseline_id and "
             "the baselines that list it).",
    why="A baseline is an SLA commitment: its nodes must finish by a committed time and DataWorks alerts when "
        "the forecast slips. If any of its nodes is stopped, it cannot finish and will breach and page its owner.",
    to_pass=("Ask the baseline owner first: they can pause its alerting or approve (exempt operators pass).",
             "Operate after tonight's baseline has finished and revert before the next cycle."),
)


@graded(NAME, applies=is_operation(*STOPPING_CODES))
def baselines_downstream(event: NodeOperation, graph: LineageGraph, policy: Policy,
                         now: datetime, rule: Rule) -> Checkpoint:
    """Graded on the baselines of the event's nodes and their live descendants (each one would breach)."""
    down = downstream(event, graph, policy)
    own = np.unique(graph.baselines_of(down.start_idx))
    below = np.unique(graph.baselines_of(down.live_idx))
    ids = np.union1d(own, below)
    facts = {"baseline_ids": ids, "own_baseline_ids": own, "downstream_baseline_ids": below,
             "baseline_names": baseline_names(graph, ids)}
    if not ids.size:
        message = "no baseline affected"
    else:
        verb = "freezing" if event.code.value == "freeze-node" else "undeploying"
        message = (f"{verb} stops nodes of {plural(int(ids.size), 'baseline')}: "
                   f"{shown_baselines(graph, ids)} — each will breach its commitment")
    return rule_checkpoint(rule, policy, event.operator, int(ids.size), message, facts,
                 f"{plural(int(ids.size), 'baseline')} stopped ({shown_baselines(graph, ids, cap=1)})")   # one name: the panel's tip is short
