"""protected-nodes: the policy's `[protected]` nodes and baselines that an operation would block (freeze),
orphan (undeploy) or rerun (backfill) — the nodes themselves or anywhere downstream. (freeze-node,
undeploy-node, backfill-data)

A baseline is touched when any of its nodes is. Each touched node comes with its dependency path from
the changed node (or the backfill root), so "deep in the blast radius" is explained, not just asserted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

import numpy as np

from evaluator.checks.derived import backfill_running, downstream
from evaluator.checks.doc import CheckDoc
from evaluator.checks.high_priority_downstream import STOPPING_CODES
from evaluator.checks.judging import (graded, is_backfill, is_operation, rule_checkpoint, label_ids, plural, shown_baselines,
                                      shown_list, subject)
from evaluator.events import Backfill, EventCode, NodeOperation
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage.errors import NotDownstreamError
from lineage.explain import explain_path
from lineage.graph import LineageGraph, Reach

NAME = "protected-nodes"
DOC = CheckDoc(
    title="protected nodes and baselines",
    events=("freeze-node", "undeploy-node", "backfill-data"),
    unit="protected nodes and baselines touched",
    settings=("protected",),
    measures="Nodes listed in the policy's [protected] table that the operation touches — a freeze blocks "
             "them, an undeploy removes or orphans them, a backfill reruns them — whether they are the nodes "
             "operated on or any number of hops downstream; plus protected baselines with a touched node.",
    why="The protected list names what the platform team decided no operator may stop or rewrite alone: "
        "the tables finance closes the books on, the nodes behind an external SLA. A freeze far upstream "
        "stops them as surely as freezing them directly.",
    to_pass=("Ask the platform team that keeps the protected list: exempt operators pass, or they do it for you.",
             "Change the operation so it does not reach them: freeze or undeploy below the branch that leads "
             "to them (\"why?\" on the details page shows the path), or leave them out of the backfill "
             "selection (or exclude them: excluded nodes dry-run)."),
)


@graded(NAME, applies=lambda event: is_operation(*STOPPING_CODES)(event) or is_backfill(event))
def protected_nodes(event: NodeOperation | Backfill, graph: LineageGraph, policy: Policy, now: datetime,
                    rule: Rule) -> Checkpoint | None:
    """Graded on protected nodes + protected baselines touched; silent while nothing is protected."""
    if not (policy.protected_nodes or policy.protected_baselines):
        return None
    protected_idx, missing = graph.positions(sorted(policy.protected_nodes))
    if isinstance(event, Backfill):
        touched_idx = backfill_running(event, graph, policy)
        what, verb, below = f"backfilling {subject(graph, (event.root_node_id,))}", "reruns", "below the root"
        explain = _from_root(graph, event.root_node_id)
    else:
        down = downstream(event, graph, policy)
        touched_idx = np.concatenate((down.start_idx, down.idx))
        freeze = event.code is EventCode.FREEZE_NODE
        what = f"{'freezing' if freeze else 'undeploying'} {subject(graph, event.node_ids)}"
        verb, below = ("blocks" if freeze else "removes or orphans"), "down"
        explain = partial(explain_path, graph, down.impact)
    hit_ids = graph.node_ids(touched_idx[np.isin(touched_idx, protected_idx)]).tolist()
    paths = {n: list(explain(n)) for n in hit_ids}
    hit_ids.sort(key=lambda n: (len(paths[n]), n))          # the nearest first
    wanted = np.array(sorted(policy.protected_baselines), dtype=np.int64)
    baselines = np.intersect1d(graph.baselines_of(touched_idx), wanted).tolist()
    facts = {"protected_node_ids": hit_ids, "protected_baseline_ids": baselines,
             "depth": {n: len(p) - 1 for n, p in paths.items()}, "paths": paths,
             "protected_not_in_snapshot": list(missing),
             "configured": {"nodes": len(policy.protected_nodes), "baselines": len(policy.protected_baselines)}}
    measure = len(hit_ids) + len(baselines)
    if not measure:
        message = (f"{what} touches none of the {plural(len(policy.protected_nodes), 'protected node')} and "
                   f"{plural(len(policy.protected_baselines), 'protected baseline')}")
        return rule_checkpoint(rule, policy, event.operator, 0, message, facts)
    names = label_ids(graph, hit_ids)
    parts, short = [], []
    if hit_ids:
        hops = [f"{name} ({_hops(len(paths[n]) - 1, below)})" for name, n in zip(names, hit_ids)]
        parts.append(f"{verb} {plural(len(hit_ids), 'protected node')}: {shown_list(hops)}")
        short.append(shown_list(names, cap=2))
    if baselines:
        parts.append(f"touches {plural(len(baselines), 'protected baseline')}: {shown_baselines(graph, baselines)}")
        short.append(f"baseline {shown_baselines(graph, baselines, cap=2)}")
    return rule_checkpoint(rule, policy, event.operator, measure, f"{what} {' and '.join(parts)}", facts,
                 f"{what} touches protected {'; '.join(short)}")


def _hops(depth: int, below: str) -> str:
    """`itself`, `1 hop down`, `4 hops below the root`.

    >>> _hops(0, "down"), _hops(4, "below the root")
    ('itself', '4 hops below the root')
    """
    return "itself" if depth == 0 else f"{plural(depth, 'hop')} {below}"


def _from_root(graph: LineageGraph, root: int) -> Callable[[int], tuple[int, ...]]:
    """Paths from a backfill's root (one traversal, made on the first call); a node selected without
    being downstream of the root (advanced mode) explains as itself."""
    reach: list[Reach] = []

    def explain(node_id: int) -> tuple[int, ...]:
        if node_id == root:
            return (root,)
        if not reach:
            reach.append(graph.descendants([root]))
        try:
            return explain_path(graph, reach[0], node_id)
        except NotDownstreamError:
            return (node_id,)

    return explain
