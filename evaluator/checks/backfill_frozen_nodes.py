"""backfill-frozen-nodes: frozen (PAUSE) and dry-run (SKIP) nodes inside the backfill selection. (backfill-data)

A frozen node's backfill instances fail at once, so the selected nodes below it never run and the
backfill never completes. A dry-run node's instances succeed without running, so the selected nodes
below it recompute from its old data. Nodes the operator excluded dry-run anyway and are left to
`backfill-excluded-needed`.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from evaluator.checks.derived import backfill_running
from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import graded, is_backfill, rule_checkpoint, name_nodes, plural
from evaluator.events import Backfill
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "backfill-frozen-nodes"
DOC = CheckDoc(
    title="frozen and dry-run nodes in the backfill",
    events=("backfill-data",),
    unit="frozen or dry-run nodes selected",
    measures="Selected, not excluded nodes whose scheduling state is frozen (PAUSE) or dry-run (SKIP); the "
             "message also counts the selected nodes below them that never run (under a frozen node) or run "
             "on stale input (under a dry-run node).",
    why="In DataWorks a frozen node's instances fail at once — backfill instances too — and every instance "
        "below waits forever, so the backfill never completes. A dry-run node's instances succeed without "
        "running, so the nodes below recompute from its old data and the backfill silently fixes nothing there.",
    to_pass=("Unfreeze the frozen nodes (or undo the dry-run setting) before the backfill, if their data should "
             "be rebuilt too.",
             "Or exclude them explicitly (excluded nodes dry-run and the nodes below proceed), or start the "
             "backfill below them."),
)


@graded(NAME, applies=is_backfill)
def backfill_frozen_nodes(event: Backfill, graph: LineageGraph, policy: Policy,
                          now: datetime, rule: Rule) -> Checkpoint:
    """Graded on the frozen + dry-run nodes among the selected, not excluded ones; names them apart."""
    running = backfill_running(event, graph, policy)
    paused = running[graph.is_paused[running]]
    skipped = running[graph.is_skipped[running]]
    eligible = np.zeros(graph.node_count, dtype=bool)
    eligible[running] = True
    blocked = _selected_below(graph, paused, eligible)
    eligible[blocked] = eligible[paused] = eligible[skipped] = False   # what is blocked or not run is not stale
    stale = _selected_below(graph, skipped, eligible)
    facts = {"frozen": int(paused.size), "dry_run": int(skipped.size),
             "frozen_node_ids": graph.node_ids(paused), "dry_run_node_ids": graph.node_ids(skipped),
             "blocked_below_count": int(blocked.size), "blocked_below_node_ids": graph.node_ids(blocked),
             "stale_input_count": int(stale.size), "stale_input_node_ids": graph.node_ids(stale)}
    parts = []
    if paused.size:
        parts.append(f"{plural(int(paused.size), 'frozen node')} selected ({name_nodes(graph, paused)}): instances "
                     f"fail at once, {_below(int(blocked.size), 'never runs', 'never run')}")
    if skipped.size:
        parts.append(f"{plural(int(skipped.size), 'dry-run node')} selected ({name_nodes(graph, skipped)}): instances "
                     f"do not run, {_below(int(stale.size), 'recomputes', 'recompute')} from stale input")
    message = "; ".join(parts) or "no frozen or dry-run node among the selected nodes"
    short = [f"{paused.size:,} frozen" if paused.size else "", f"{skipped.size:,} dry-run" if skipped.size else ""]
    summary = f"{' and '.join(s for s in short if s)} node(s) in the backfill selection"
    return rule_checkpoint(rule, policy, event.operator, int(paused.size + skipped.size), message, facts, summary)


def _below(count: int, one: str, many: str) -> str:
    """`1 selected node below never runs`, `3 selected nodes below never run`.

    >>> _below(1, "never runs", "never run"), _below(3, "never runs", "never run")
    ('1 selected node below never runs', '3 selected nodes below never run')
    """
    return f"{plural(count, 'selected node')} below {one if count == 1 else many}"


def _selected_below(graph: LineageGraph, idx: np.ndarray, selected: np.ndarray) -> np.ndarray:
    """Sorted positions of descendants of `idx` where the mask `selected` is set (none when `idx` is empty)."""
    if not idx.size:
        return np.zeros(0, dtype=np.int32)
    reached = graph.descendants_of_positions(idx).idx
    return np.sort(reached[selected[reached]])
