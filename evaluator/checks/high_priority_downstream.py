"""high-priority-downstream: live descendants with priority >= `high_priority`. (freeze-node, undeploy-node)"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from evaluator.checks.derived import downstream
from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import graded, is_operation, rule_checkpoint, name_nodes, plural
from evaluator.events import EventCode, NodeOperation
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "high-priority-downstream"
DOC = CheckDoc(
    title="high-priority nodes downstream",
    events=("freeze-node", "undeploy-node"),
    unit="live high-priority descendants",
    settings=("high_priority",),
    measures="Live descendants whose DataWorks priority is at least `high_priority` (priorities are 1, 3, 5, "
             "7, 8; 7 and 8 are the highest, usually inherited from a baseline).",
    why="High-priority nodes get resources first and feed what the business watches; when they stop, "
        "people notice within hours.",
    to_pass=("Find the path to each high-priority node (\"why?\" on the details page) and operate below "
             "the branch that leads to them.",
             "Agree a window with the owners of the high-priority nodes."),
)
STOPPING_CODES = frozenset({EventCode.FREEZE_NODE, EventCode.UNDEPLOY_NODE})


@graded(NAME, applies=is_operation(*STOPPING_CODES))
def high_priority_downstream(event: NodeOperation, graph: LineageGraph, policy: Policy,
                             now: datetime, rule: Rule) -> Checkpoint:
    """Graded on the live high-priority descendants a freeze or undeploy would stop; highest named first."""
    down = downstream(event, graph, policy)
    live_idx = down.live_idx
    priority = graph.column("priority")[live_idx]
    high = priority >= policy.high_priority
    idx = live_idx[high]
    facts = {"high_priority": policy.high_priority, "count": int(idx.size), "node_ids": graph.node_ids(idx),
             "by_priority": dict(sorted(Counter(priority[high].tolist()).items(), reverse=True))}
    if not idx.size:
        message = f"no live high-priority (>= {policy.high_priority}) node downstream"
    else:
        names = name_nodes(graph, idx, order=[down.depth[down.live][high], -priority[high]])
        message = f"{plural(int(idx.size), 'live high-priority node')} (>= {policy.high_priority}) downstream: {names}"
    return rule_checkpoint(rule, policy, event.operator, int(idx.size), message, facts,
                 f"{plural(int(idx.size), 'high-priority node')} below")
