"""downstream-orphaned: undeploying leaves live descendants without their upstream. (undeploy-node)"""

from __future__ import annotations

from datetime import datetime

from evaluator.checks.derived import downstream
from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import graded, is_operation, rule_checkpoint, name_nodes, plural, split_phrase, subject
from evaluator.events import EventCode, NodeOperation
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "downstream-orphaned"
DOC = CheckDoc(
    title="an undeploy orphans live descendants",
    events=("undeploy-node",),
    unit="live descendants",
    measures="Live descendants of the nodes being undeployed; the direct children, which lose their "
             "upstream, are named in the message.",
    why="Undeploying removes the node from production scheduling. Its children still depend on it and break "
        "on their next run, and everything below them stops with them; redeploying later does not bring the "
        "missed runs back.",
    to_pass=("Re-wire the children to another upstream, or undeploy from the bottom up (children first).",
             "Freeze the node instead if it only needs to stop for a while.",
             "Use \"why?\" on the details page to see which dependency pulls each node in."),
)


@graded(NAME, applies=is_operation(EventCode.UNDEPLOY_NODE))
def downstream_orphaned(event: NodeOperation, graph: LineageGraph, policy: Policy,
                        now: datetime, rule: Rule) -> Checkpoint:
    """Graded on live descendants of the undeployed nodes; direct children (the orphans) are listed."""
    down = downstream(event, graph, policy)
    counts = down.counts()
    child = down.depth == 1
    live_children = down.idx[child & down.live]
    facts = {**counts, "orphaned_children": graph.node_ids(down.idx[child]),
             "live_orphaned_children": graph.node_ids(live_children),
             "live_node_ids": graph.node_ids(down.live_idx), **down.apart_ids(graph)}
    what = f"undeploying {subject(graph, event.node_ids)}"
    rest = split_phrase(counts["frozen"], counts["dry_run"])
    children = plural(int(live_children.size), 'live child', 'live children')
    summary = f"{what} orphans {children}"
    if counts["live"] == 0:
        message = f"{what} orphans no live node{rest}"
    else:
        below = counts["live"] - live_children.size
        message = (f"{summary}{': ' + name_nodes(graph, live_children) if live_children.size else ''}"
                   f" and cuts off {plural(below, 'more live node')} below (depth {counts['max_depth']}{rest})")
        if live_children.size:
            summary += f" ({name_nodes(graph, live_children, cap=2)})"
        summary += f", {plural(counts['live'], 'live node')} in all"
    return rule_checkpoint(rule, policy, event.operator, counts["live"], message, facts, summary)
