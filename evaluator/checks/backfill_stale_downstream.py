"""backfill-stale-downstream: descendants of the selection left out of it keep stale data. (backfill-data)"""

from __future__ import annotations

from datetime import datetime

from evaluator.checks.derived import backfill_estimate
from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import graded, is_backfill, rule_checkpoint, name_nodes, plural
from evaluator.events import Backfill
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage.graph import LineageGraph

NAME = "backfill-stale-downstream"
DOC = CheckDoc(
    title="descendants left stale",
    events=("backfill-data",),
    unit="descendants left out",
    measures="Descendants of the selection that are not selected (downstream_not_included_count); frozen and "
             "dry-run ones are counted apart in the facts.",
    why="They keep data computed from the old inputs while the backfill rewrites what they read: reports "
        "below disagree with the tables above them.",
    to_pass=("Include the stale descendants in the selection (listed under \"Downstream left stale\" on the "
             "details page).",
             "Or backfill them in a second backfill once this one is done.",
             "Ignore it when their data does not depend on the rewritten bizdates: it is a warning."),
)


@graded(NAME, applies=is_backfill)
def backfill_stale_downstream(event: Backfill, graph: LineageGraph, policy: Policy,
                              now: datetime, rule: Rule) -> Checkpoint:
    """Graded on `downstream_not_included_count`; frozen and dry-run ones are counted apart in facts."""
    est = backfill_estimate(event, graph, policy)
    idx, _ = graph.positions(est.downstream_not_included)
    frozen, dry = int(graph.is_paused[idx].sum()), int(graph.is_skipped[idx].sum())
    facts = {"downstream_not_included_count": est.downstream_not_included_count,
             "node_ids": est.downstream_not_included, "frozen": frozen, "dry_run": dry}
    count = est.downstream_not_included_count
    if not count:
        message = "every descendant of the selection is backfilled too"
    else:
        apart = ", ".join(p for p in (f"{frozen:,} frozen" if frozen else "", f"{dry:,} dry-run" if dry else "") if p)
        message = (f"{plural(count, 'descendant')} of the selection not included keep stale data"
                   f"{f' ({apart} among them)' if apart else ''}: {name_nodes(graph, idx)}")
    return rule_checkpoint(rule, policy, event.operator, count, message, facts,
                 f"{plural(count, 'descendant')} left stale")
