"""downstream-blocked: a freeze stops every descendant; how many live ones, how deep. (freeze-node)"""

from __future__ import annotations

from datetime import datetime

from evaluator.checks.derived import downstream
from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import graded, is_operation, rule_checkpoint, name_nodes, plural, split_phrase, subject
from evaluator.events import EventCode, NodeOperation
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "downstream-blocked"
DOC = CheckDoc(
    title="a freeze blocks the whole downstream",
    events=("freeze-node",),
    unit="live descendants",
    measures="Live (NORMAL) descendants of the nodes being frozen: every node reachable downstream in the "
             "cycle DAG, counted once however many paths lead to it. Descendants already frozen (PAUSE) or in "
             "dry-run (SKIP) are reported apart and not counted.",
    why="A frozen node's instances fail at once, so every descendant waits for it forever: their instances "
        "stay in \"waiting for upstream\" and their data stops updating until the node is unfrozen. A freeze "
        "stops its whole downstream, not just its children.",
    to_pass=("Freeze a node further down the chain so fewer nodes stop; the details page lists the "
             "descendants nearest first and shows the path to each (\"why?\").",
             "If a run should only be skipped, set the node to dry-run instead: descendants go on with the "
             "previous data instead of stopping.",
             "Tell the owners listed under other-owners-downstream first, or ask the platform on-call (often "
             "exempt) to freeze it.",
             "For a planned large freeze, raise the threshold for the workspace ([projects.<id>.downstream-blocked])."),
)


@graded(NAME, applies=is_operation(EventCode.FREEZE_NODE))
def downstream_blocked(event: NodeOperation, graph: LineageGraph, policy: Policy,
                       now: datetime, rule: Rule) -> Checkpoint:
    """Graded on live (NORMAL) descendants that would wait forever; frozen/dry-run ones counted apart."""
    down = downstream(event, graph, policy)
    counts = down.counts()
    live_idx = down.live_idx
    already = graph.node_ids(down.start_idx[graph.is_paused[down.start_idx]]).tolist()
    facts = {**counts, "by_depth": down.impact.by_depth, "blocked_node_ids": graph.node_ids(live_idx),
             **down.apart_ids(graph), "already_frozen": already}
    what = f"freezing {subject(graph, event.node_ids)}"
    rest = split_phrase(counts["frozen"], counts["dry_run"])
    summary = f"{what} blocks {plural(counts['live'], 'live downstream node')}"
    if counts["live"] == 0:
        message = f"{what} blocks no live downstream node{rest}"
    else:
        # reached positions come sorted by depth: the first names are the nearest descendants
        message = f"{summary} (depth {counts['max_depth']}{rest}): {name_nodes(graph, live_idx)}"
        summary += f" ({name_nodes(graph, live_idx, cap=2)})"
    if already:
        message += f"; {plural(len(already), 'node')} already frozen in the snapshot"
    return rule_checkpoint(rule, policy, event.operator, counts["live"], message, facts, summary)
