"""snapshot-freshness: is the metadata snapshot young enough to judge by? (every event)"""

from __future__ import annotations

from datetime import datetime

from evaluator.checks.doc import EXTENSION_POINT_EVENTS, CheckDoc
from evaluator.checks.judging import active_rule
from evaluator.policy import Policy
from evaluator.verdict import Checkpoint, Status
from lineage.graph import LineageGraph

NAME = "snapshot-freshness"
DOC = CheckDoc(
    title="metadata snapshot age",
    events=EXTENSION_POINT_EVENTS,
    settings=("staleness", "on_stale"),
    measures="Age of the metadata snapshot the verdict was judged on. Not graded by warn/fail: past "
             "`staleness` the checkpoint takes the `on_stale` status.",
    why="Nodes and dependencies changed since the snapshot are not seen, so the blast radius may be wrong.",
    to_pass=("Run `opsguard sync` (or check why the scheduled refresh failed), then press Recheck.",),
)


def snapshot_freshness(event: object, graph: LineageGraph, policy: Policy, now: datetime) -> Checkpoint | None:
    """OK when the snapshot is younger than `policy.staleness`, else `policy.on_stale` with the age."""
    rule = active_rule(policy, NAME)
    if rule is None:
        return None
    limit = policy.staleness.total_seconds()
    if graph.synced_at is None:
        return Checkpoint(NAME, Status.OK, f"snapshot {graph.snapshot_id} has no sync time (built by hand)",
                          {"snapshot_id": graph.snapshot_id, "age_seconds": None, "limit_seconds": limit})
    age = max((now - graph.synced_at).total_seconds(), 0.0)
    facts = {"snapshot_id": graph.snapshot_id, "synced_at": graph.synced_at, "age_seconds": round(age, 3),
             "limit_seconds": limit, "stale": age > limit}
    if age <= limit:
        return Checkpoint(NAME, Status.OK, f"metadata snapshot is {duration(age)} old", facts)
    message = (f"metadata snapshot is {duration(age)} old (limit {duration(limit)}): changes since then "
               "are not seen; run `opsguard sync`")
    operator = getattr(event, "operator", None)
    if policy.on_stale is not Status.OK and policy.is_exempt(rule, operator):
        return Checkpoint(NAME, Status.OK, f"{message} (operator {operator} is exempt)",
                          {**facts, "exempt": True, "status_without_exemption": policy.on_stale.value})
    return Checkpoint(NAME, policy.on_stale, message, facts)


def duration(seconds: float) -> str:
    """`45 s`, `12 min`, `7 h 5 min`, `3 d 2 h` — an age a human reads at a glance.

    >>> duration(42), duration(720), duration(25500), duration(266400)
    ('42 s', '12 min', '7 h 5 min', '3 d 2 h')
    """
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(seconds // 3600, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
