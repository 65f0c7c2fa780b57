"""unknown-nodes: node ids in the event that the snapshot does not know. (node operations, backfills)"""

from __future__ import annotations

from datetime import datetime

from evaluator.checks.doc import EXTENSION_POINT_EVENTS, CheckDoc
from evaluator.checks.judging import graded, rule_checkpoint, plural, shown_ids
from evaluator.events import Backfill, NodeOperation
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "unknown-nodes"
DOC = CheckDoc(
    title="nodes the snapshot does not know",
    events=EXTENSION_POINT_EVENTS,
    unit="unknown node ids",
    measures="Node ids in the event that the metadata snapshot (plus node changes since) does not contain.",
    why="opsguard judges from a snapshot of the nodes and dependencies; a node deployed after the last sync, "
        "or a wrong id, has no known downstream, so the other checks may undercount.",
    to_pass=("Wait for the next sync (or run `opsguard sync`), then press Recheck.",
             "If this repeats, check that node-change events reach opsguard: they keep it fresh between syncs."),
)


@graded(NAME, applies=lambda event: isinstance(event, (NodeOperation, Backfill)))
def unknown_nodes(event: NodeOperation | Backfill, graph: LineageGraph, policy: Policy, now: datetime,
                  rule: Rule) -> Checkpoint:
    """Graded on the number of event node ids absent from the snapshot (their downstream is invisible)."""
    ids = event.node_ids
    unknown = [n for n in ids if n not in graph]
    facts = {"node_ids": ids, "unknown": unknown}
    if not unknown:
        return rule_checkpoint(rule, policy, event.operator, 0, f"all {plural(len(ids), 'node')} known to the snapshot", facts)
    message = (f"{plural(len(unknown), 'node id')} unknown to snapshot {graph.snapshot_id} (deployed since "
               f"the last sync?), downstream not judged: {shown_ids(unknown)}")
    return rule_checkpoint(rule, policy, event.operator, len(unknown), message, facts,
                 f"{plural(len(unknown), 'unknown node id')}")
