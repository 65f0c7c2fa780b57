"""unknown-nodes: node ids in the event that the snapshot does not know. (node operations, backfills)"""

from __future__ import annotations

from datetime import datetime

from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import active_rule, judge, plural, shown_list
from evaluator.events import Backfill, NodeOperation
from evaluator.policy import Policy
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "unknown-nodes"
DOC = CheckDoc(
    title="nodes the snapshot does not know",
    events=("freeze-node", "unfreeze-node", "undeploy-node", "backfill-data"),
    unit="unknown node ids",
    measures="Node ids in the event that the metadata snapshot (plus node changes since) does not contain.",
    why="opsguard judges from a snapshot of the nodes and dependencies; a node deployed after the last sync, "
        "or a wrong id, has no known downstream, so the other checks may undercount.",
    to_pass=("Wait for the next sync (or run `opsguard sync`), then press Recheck.",
             "If this repeats, check that node-change events reach opsguard: they keep it fresh between syncs."),
)


def unknown_nodes(event: object, graph: LineageGraph, policy: Policy, now: datetime) -> Checkpoint | None:
    """Graded on the number of event node ids absent from the snapshot (their downstream is invisible)."""
    if not isinstance(event, (NodeOperation, Backfill)):
        return None
    rule = active_rule(policy, NAME)
    if rule is None:
        return None
    ids = event.node_ids
    unknown = [n for n in ids if n not in graph]
    facts = {"node_ids": ids, "unknown": unknown}
    if not unknown:
        return judge(rule, policy, event.operator, 0, f"all {plural(len(ids), 'node')} known to the snapshot", facts)
    message = (f"{plural(len(unknown), 'node id')} unknown to snapshot {graph.snapshot_id} (deployed since "
               f"the last sync?), downstream not judged: {shown_list([str(n) for n in unknown])}")
    return judge(rule, policy, event.operator, len(unknown), message, facts,
                 f"{plural(len(unknown), 'unknown node id')}")
