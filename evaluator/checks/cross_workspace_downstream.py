"""cross-workspace-downstream: live descendants in workspaces other than the event's. (freeze, undeploy)"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from evaluator.checks.derived import downstream
from evaluator.checks.high_priority_downstream import STOPPING_CODES
from evaluator.checks.judging import active_rule, judge, plural, shown_list
from evaluator.events import NodeOperation
from evaluator.policy import Policy
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "cross-workspace-downstream"


def cross_workspace_downstream(event: object, graph: LineageGraph, policy: Policy,
                               now: datetime) -> Checkpoint | None:
    """Graded on live descendants whose workspace is neither the event's nor one of its nodes'."""
    if not isinstance(event, NodeOperation) or event.code not in STOPPING_CODES:
        return None
    rule = active_rule(policy, NAME)
    if rule is None:
        return None
    down = downstream(event, graph, policy)
    projects = graph.column("project_id")
    home = np.union1d(projects[down.start_idx], [event.project_id])
    live_projects = projects[down.live_idx]
    other = ~np.isin(live_projects, home)
    ids, counts = np.unique(live_projects[other], return_counts=True)
    by_project = dict(sorted(zip(ids.tolist(), counts.tolist()), key=lambda item: (-item[1], item[0])))
    facts = {"home_project_ids": home, "count": int(other.sum()), "by_project": by_project}
    if not by_project:
        message = "no live downstream node in another workspace"
    else:
        listed = [f"{pid}: {n:,}" for pid, n in by_project.items()]
        message = (f"{plural(int(other.sum()), 'live downstream node')} in "
                   f"{plural(len(by_project), 'other workspace')} ({shown_list(listed)})")
    return judge(rule, policy, event.operator, int(other.sum()), message, facts,
                 f"{plural(len(by_project), 'other workspace')} affected")
