"""unreadable-workspaces: the operation's downstream runs into workspaces the sync could not read.
(freeze, unfreeze, undeploy, backfill)"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from evaluator.checks.derived import downstream
from evaluator.checks.doc import EXTENSION_POINT_EVENTS, CheckDoc
from evaluator.checks.judging import graded, rule_checkpoint, plural, shown_ids
from evaluator.events import Backfill, NodeOperation
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "unreadable-workspaces"
DOC = CheckDoc(
    title="downstream in workspaces opsguard cannot read",
    events=EXTENSION_POINT_EVENTS,
    unit="unreadable workspaces reached",
    measures="Workspaces the last sync could not read (HTTP 403 Forbidden.Access) that hold one of the "
             "operation's nodes or one of their known descendants. Silent while the sync could read every "
             "workspace it met.",
    why="opsguard follows dependencies into every workspace below the synced nodes. Where its credentials may "
        "not read a workspace, the nodes below that workspace's nodes are unknown, so every downstream count of "
        "this verdict (blocked, orphaned, high-priority, baselines, backfill volume) may be too low.",
    to_pass=("Grant opsguard's RAM user read access to the workspaces named, run `opsguard sync`, then press "
             "Recheck.",
             "Or confirm with those workspaces' owners that nothing of theirs depends on this operation."),
)


@graded(NAME, applies=lambda event: isinstance(event, (NodeOperation, Backfill)))
def unreadable_workspaces(event: NodeOperation | Backfill, graph: LineageGraph, policy: Policy, now: datetime,
                          rule: Rule) -> Checkpoint | None:
    """Graded on the unreadable workspaces the event's nodes and their descendants reach (None when the
    snapshot has no unreadable workspace: nothing to say)."""
    unreadable = np.asarray(graph.unreadable_project_ids, dtype=np.int64)
    if unreadable.size == 0:
        return None
    down = downstream(event, graph, policy)
    reached_idx = np.concatenate([down.start_idx, down.idx]).astype(np.int64)
    projects = graph.column("project_id")[reached_idx]
    inside = np.isin(projects, unreadable)
    reached = sorted({int(p) for p in projects[inside]})
    facts = {"unreadable_project_ids": unreadable.tolist(), "reached_project_ids": reached,
             "frontier_node_ids": graph.node_ids(reached_idx[inside])}
    if not reached:
        message = (f"the downstream stays in readable workspaces (the snapshot could not read "
                   f"{plural(unreadable.size, 'workspace')}: {shown_ids(unreadable.tolist())})")
        return rule_checkpoint(rule, policy, event.operator, 0, message, facts)
    message = (f"{plural(int(inside.sum()), 'node')} at or below the operation {'is' if inside.sum() == 1 else 'are'} "
               f"in {plural(len(reached), 'workspace')} opsguard cannot read ({shown_ids(reached)}): what lies "
               f"below {'it' if inside.sum() == 1 else 'them'} is unknown, so the counts of this verdict may be low")
    return rule_checkpoint(rule, policy, event.operator, len(reached), message, facts,
                 f"downstream reaches {plural(len(reached), 'unreadable workspace')} ({shown_ids(reached)})")
