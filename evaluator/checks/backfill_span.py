"""backfill-span: days from the first to the last bizdate. (backfill-data)"""

from __future__ import annotations

from datetime import datetime

from evaluator.checks.doc import CheckDoc
from evaluator.checks.judging import graded, is_backfill, rule_checkpoint, plural
from evaluator.events import Backfill
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint
from lineage.backfill import bizdate_count
from lineage.graph import LineageGraph

NAME = "backfill-span"
DOC = CheckDoc(
    title="bizdate span",
    events=("backfill-data",),
    unit="days",
    measures="Days from the first to the last bizdate over all periods (overlapping periods count once).",
    why="A long span multiplies every other figure; a span of more than a year is almost always a typo.",
    to_pass=("Check the dates in the backfill dialog.", "Split a long range into several backfills."),
)


@graded(NAME, applies=is_backfill)
def backfill_span(event: Backfill, graph: LineageGraph, policy: Policy, now: datetime, rule: Rule) -> Checkpoint:
    """Graded on (last bizdate - first bizdate + 1) days over all periods; overlaps count once.

    Reads the periods only (no estimate, nothing enumerated), so `evaluate` runs it first and a span
    past the rule's fail limit refuses the backfill before anything else is computed."""
    first = min(p.begin for p in event.periods)
    last = max(p.end for p in event.periods)
    span = (last - first).days + 1
    distinct = bizdate_count(event.periods)
    facts = {"first_bizdate": first, "last_bizdate": last, "span_days": span, "bizdate_count": distinct,
             "periods": [{"begin": p.begin, "end": p.end} for p in event.periods]}
    gaps = f", {distinct:,} of them backfilled" if distinct != span else ""
    message = f"bizdates span {plural(span, 'day')} ({first} to {last}{gaps})"
    return rule_checkpoint(rule, policy, event.operator, span, message, facts, f"bizdates span {plural(span, 'day')}")
