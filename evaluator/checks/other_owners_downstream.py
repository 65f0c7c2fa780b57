"""other-owners-downstream: owners of live descendants other than the operator. (freeze, undeploy)"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from evaluator.checks.derived import downstream
from evaluator.checks.high_priority_downstream import STOPPING_CODES
from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import graded, is_operation, rule_checkpoint, plural, shown_list
from evaluator.events import NodeOperation
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "other-owners-downstream"
DOC = CheckDoc(
    title="other owners affected",
    events=("freeze-node", "undeploy-node"),
    unit="other owners",
    measures="Distinct owners, other than the operator, of live descendants; the most affected first.",
    why="Their nodes will wait or break without warning, and they will be the ones paged.",
    to_pass=("Ask the owners listed before going on; the warning is for them.",),
)


@graded(NAME, applies=is_operation(*STOPPING_CODES))
def other_owners_downstream(event: NodeOperation, graph: LineageGraph, policy: Policy,
                            now: datetime, rule: Rule) -> Checkpoint:
    """Graded on the number of distinct owners (not the operator) of live descendants; most affected first."""
    down = downstream(event, graph, policy)
    codes, names = graph.codes("owner_id")
    counts = np.bincount(codes[down.live_idx] + 1, minlength=len(names) + 1)[1:]
    ranked = dict(sorted(((names[c], int(counts[c])) for c in np.flatnonzero(counts).tolist()
                          if names[c] != event.operator), key=lambda item: (-item[1], item[0])))
    who = graph.directory
    facts = {"operator": event.operator, "owners": ranked, "owner_names": {o: who.owner_name(o) for o in ranked},
             "operator_name": who.owner_name(event.operator)}
    if not ranked:
        message = "no other owner's live node downstream"
    else:
        listed = [f"{who.owner(owner)} ({n:,})" for owner, n in ranked.items()]
        message = f"live downstream nodes of {plural(len(ranked), 'other owner')}: {shown_list(listed)}"
    return rule_checkpoint(rule, policy, event.operator, len(ranked), message, facts,
                 f"{plural(len(ranked), 'other owner')} affected")
