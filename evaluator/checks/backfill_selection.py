"""backfill-selection: which nodes the backfill covers; when DataWorks did not say, assume the worst
and say so ("Never widen silently"). (backfill-data)"""

from __future__ import annotations

from datetime import datetime

from evaluator.checks.derived import backfill_estimate
from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import (MESSAGE_NAMES, graded, is_backfill, rule_checkpoint, label_ids, plural, shown_list,
                                      subject)
from evaluator.events import Backfill
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "backfill-selection"
DOC = CheckDoc(
    title="which nodes the backfill covers",
    events=("backfill-data",),
    unit="assumed selections",
    measures="1 when the event did not say which nodes (includeNodeIds missing or empty) and opsguard "
             "assumed the worst case, root + all downstream (massive mode); else 0.",
    why="opsguard never widens silently: every other figure of this verdict then assumes the whole "
        "downstream, which may be far more than was meant.",
    to_pass=("Select the nodes explicitly in the backfill dialog (current and downstream nodes, the ones "
             "you need ticked).",
             "If the whole downstream is meant, read the volume and hours checkpoints: they count it."),
)
ALL_DOWNSTREAM = "all-downstream"


def selection_note(event: Backfill, graph: LineageGraph, node_count: int) -> str:
    """The sentence that must reach the tip when includeNodeIds was missing or empty."""
    missing = "missing" if event.include_node_ids is None else "empty"
    return (f"includeNodeIds {missing}: assumed root {subject(graph, (event.root_node_id,))} + all downstream "
            f"({plural(node_count, 'node')})")


@graded(NAME, applies=is_backfill)
def backfill_selection(event: Backfill, graph: LineageGraph, policy: Policy, now: datetime, rule: Rule) -> Checkpoint:
    """Measure 1 when the selection was assumed (root + all downstream), else 0; names the mode."""
    estimate = backfill_estimate(event, graph, policy)
    assumed = estimate.selection_mode == ALL_DOWNSTREAM
    facts = {"selection_mode": estimate.selection_mode, "assumed": assumed, "node_count": estimate.node_count,
             "include_sent": event.include_node_ids is not None, "node_ids": estimate.node_ids,
             "include_outside_downstream": list(estimate.include_outside_downstream),
             "exclude_outside_downstream": list(estimate.exclude_outside_downstream)}
    if assumed:
        message = selection_note(event, graph, estimate.node_count)
    else:
        message = (f"{plural(estimate.node_count, 'node')} selected by the operator "
                   f"(root {subject(graph, (event.root_node_id,))})")
    message += outside_note(graph, estimate.include_outside_downstream, estimate.exclude_outside_downstream)
    return rule_checkpoint(rule, policy, event.operator, 1 if assumed else 0, message, facts)


def outside_note(graph: LineageGraph, included: tuple[int, ...], excluded: tuple[int, ...]) -> str:
    """"; N included/excluded nodes outside the root's downstream (names)" — said, never graded: DataWorks'
    advanced mode backfills unrelated nodes on purpose, and an excluded node there changes nothing."""
    parts = [f"{plural(len(ids), f'{word} node')} outside the root's downstream "
             f"({shown_list(label_ids(graph, list(ids[:MESSAGE_NAMES])), total=len(ids))})"
             for word, ids in (("included", included), ("excluded", excluded)) if ids]
    return "; " + "; ".join(parts) if parts else ""
