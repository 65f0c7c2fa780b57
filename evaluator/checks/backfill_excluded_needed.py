"""backfill-excluded-needed: excluded (dry-run) nodes that selected, running nodes depend on — those run
on inputs the backfill did not rebuild. (backfill-data)

An excluded node is needed when one of its children is selected and runs, or is itself an excluded node
that is needed (dry-run chains pass stale data on). Non-selected children do not count: they do not run.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from evaluator.checks.derived import backfill_estimate
from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import graded, is_backfill, rule_checkpoint, label_ids, plural, shown_list
from evaluator.events import Backfill
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "backfill-excluded-needed"
DOC = CheckDoc(
    title="excluded nodes that running nodes need",
    events=("backfill-data",),
    unit="excluded nodes feeding running nodes",
    measures="Excluded (dry-run) nodes of the selection whose output a selected, running node reads, "
             "directly or through other excluded nodes.",
    why="An excluded node's instance is set to success without running, so the nodes below it recompute "
        "from data the backfill did not rebuild.",
    to_pass=("Include the excluded node if its data is wrong for these bizdates.",
             "Keep it excluded when its data is already right: this is a warning."),
)


def excluded_needed(graph: LineageGraph, selection: tuple[int, ...], excluded: tuple[int, ...]) -> dict[int, list[int]]:
    """Excluded node id → the selected, running children that read its dry-run output (needed ones only)."""
    selected = set(selection)
    dry = [n for n in excluded if n in selected and n in graph]
    if not dry:
        return {}
    dry_set = set(dry)
    run = selected - dry_set
    children = {e: graph.node_ids(graph.descendants([e], max_depth=1).idx).tolist() for e in dry}
    readers = {e: [c for c in kids if c in run] for e, kids in children.items()}
    needed = {e for e, r in readers.items() if r}
    changed = True
    while changed:  # an excluded node feeding a needed excluded node is needed too
        changed = False
        for e, kids in children.items():
            if e not in needed and any(c in needed for c in kids):
                needed.add(e)
                changed = True
    return {e: readers[e] for e in dry if e in needed}


@graded(NAME, applies=is_backfill)
def backfill_excluded_needed(event: Backfill, graph: LineageGraph, policy: Policy,
                             now: datetime, rule: Rule) -> Checkpoint:
    """Graded on the number of excluded nodes whose dry-run output selected, running nodes consume."""
    est = backfill_estimate(event, graph, policy)
    needed = excluded_needed(graph, est.node_ids, event.exclude_node_ids)
    outside = [n for n in event.exclude_node_ids if n not in set(est.node_ids)]
    readers = sorted({c for kids in needed.values() for c in kids})
    facts = {"needed": needed, "excluded_in_selection": est.dry_run_node_count,
             "excluded_outside_selection": outside, "affected_node_ids": np.array(readers, dtype=np.int64)}
    if not needed:
        message = ("no selected node runs on a dry-run node's output" if est.dry_run_node_count
                   else "no node excluded")
    else:
        names = label_ids(graph, list(needed)[:3])
        message = (f"{plural(len(needed), 'excluded node')} ({shown_list(names, total=len(needed))}) feed "
                   f"{plural(len(readers), 'selected node')} that run on inputs the backfill did not rebuild")
    return rule_checkpoint(rule, policy, event.operator, len(needed), message, facts,
                 f"{plural(len(needed), 'excluded node')} feed running nodes")
