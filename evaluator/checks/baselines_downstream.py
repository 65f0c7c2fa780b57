"""baselines-downstream: baselines (SLA commitments) whose nodes a freeze or undeploy stops."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from evaluator.checks.derived import downstream
from evaluator.checks.judging import active_rule, judge, plural, shown_list
from evaluator.checks.high_priority_downstream import STOPPING_CODES
from evaluator.events import NodeOperation
from evaluator.policy import Policy
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "baselines-downstream"


def baselines_downstream(event: object, graph: LineageGraph, policy: Policy, now: datetime) -> Checkpoint | None:
    """Graded on the baselines of the event's nodes and their live descendants (each one would breach)."""
    if not isinstance(event, NodeOperation) or event.code not in STOPPING_CODES:
        return None
    rule = active_rule(policy, NAME)
    if rule is None:
        return None
    down = downstream(event, graph, policy)
    own = np.unique(graph.baselines_of(down.start_idx))
    below = np.unique(graph.baselines_of(down.live_idx))
    ids = np.union1d(own, below)
    facts = {"baseline_ids": ids, "own_baseline_ids": own, "downstream_baseline_ids": below}
    if not ids.size:
        message = "no baseline affected"
    else:
        verb = "freezing" if event.code.value == "freeze-node" else "undeploying"
        message = (f"{verb} stops nodes of {plural(int(ids.size), 'baseline')}: "
                   f"{shown_list([str(b) for b in ids.tolist()])} — each will breach its commitment")
    return judge(rule, policy, event.operator, int(ids.size), message, facts,
                 f"{plural(int(ids.size), 'baseline')} stopped ({shown_list([str(b) for b in ids.tolist()], cap=2)})")
