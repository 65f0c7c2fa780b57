"""cross-workspace-downstream: live descendants in workspaces other than the event's. (freeze, undeploy)"""

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

NAME = "cross-workspace-downstream"
DOC = CheckDoc(
    title="other workspaces affected",
    events=("freeze-node", "undeploy-node"),
    unit="live descendants in other workspaces",
    measures="Live descendants whose workspace is neither the event's nor that of a node being changed.",
    why="Dependencies cross workspaces: another team's nodes read this output. They are not visible in this "
        "workspace's Operation Center and their owners were not asked.",
    to_pass=("Tell the other workspaces' owners (the facts list each workspace and its count).",
             "Operate below the edge that leads into the other workspace (\"why?\" shows it)."),
)


@graded(NAME, applies=is_operation(*STOPPING_CODES))
def cross_workspace_downstream(event: NodeOperation, graph: LineageGraph, policy: Policy,
                               now: datetime, rule: Rule) -> Checkpoint:
    """Graded on live descendants whose workspace is neither the event's nor one of its nodes'."""
    down = downstream(event, graph, policy)
    codes, project_ids = graph.project_codes()
    home = np.zeros(project_ids.size, dtype=bool)
    home[codes[down.start_idx]] = True
    home[(project_ids == event.project_id) | (project_ids < 0)] = True   # a node without workspace is not "other"
    per_project = np.bincount(codes[down.live_idx], minlength=project_ids.size)
    per_project[home] = 0
    other = int(per_project.sum())
    by_project = dict(sorted(((int(project_ids[c]), int(per_project[c])) for c in np.flatnonzero(per_project)),
                             key=lambda item: (-item[1], item[0])))
    facts = {"home_project_ids": project_ids[home & (project_ids >= 0)], "count": other, "by_project": by_project,
             "workspace_names": {str(p): graph.directory.workspace_name(p) for p in by_project}}
    if not by_project:
        message = "no live downstream node in another workspace"
    else:
        listed = [f"{graph.directory.workspace(pid)}: {n:,}" for pid, n in by_project.items()]
        message = (f"{plural(other, 'live downstream node')} in "
                   f"{plural(len(by_project), 'other workspace')} ({shown_list(listed)})")
    return rule_checkpoint(rule, policy, event.operator, other, message, facts,
                 f"{plural(len(by_project), 'other workspace')} affected")
