"""The one code path from an event to a verdict, shared by `opsguard check`, the server and notebooks.

Every event gets a verdict: a check that raises becomes a checkpoint with `policy.on_error` and the
reason; invalid workspace options become a checkpoint and the file policy applies; an `Unreadable`
event gets the `on_error` verdict saying what could not be read; events that are not extension points
(node-change-*, unknown codes) get an OK verdict marked `ignored`.

Bounded: the size checks (`SIZE_CHECKS`) run first and a FAIL among them ends the judgement before
anything is estimated; every estimate behind the other checks counts spans arithmetically.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from evaluator.checks import CHECKS, SIZE_CHECKS, Check, check_name
from evaluator.checks.backfill_selection import ALL_DOWNSTREAM, selection_note
from evaluator.checks.derived import backfill_estimate, downstream, evaluation_scope
from evaluator.events import (Backfill, Event, EventParseError, Ignored, NodeChanged, NodeOperation, Unreadable,
                              parse_event)
from evaluator.policy import Policy, PolicyError, default_policy
from evaluator.unjudged import verdict_for_error
from evaluator.verdict import EMPTY_BACKFILL, Checkpoint, SnapshotInfo, Status, Verdict, make_tip, worst
from lineage.backfill import bizdate_count
from lineage.graph import LineageGraph

__all__ = ["evaluate", "evaluate_message", "ProjectOptions"]

# Workspace id → that workspace's extension options (the JSON string GetOptionValueForProject returns,
# or the parsed object), e.g. `read_extension_options(snapshot_path)`.
ProjectOptions = Mapping[int, str | Mapping[str, Any] | None]


def evaluate(event: Event, graph: LineageGraph, policy: Policy | None = None, *,
             checks: Sequence[Check] = CHECKS, now: datetime | None = None,
             options: ProjectOptions | None = None, started: float | None = None) -> Verdict:
    """The verdict on `event`: every applicable check, worst status wins, tip and facts attached.

    `now` (default: the clock) decides bizdates and snapshot age; `options` feeds workspace overrides
    when the policy enables them; `started` is a `time.perf_counter()` to measure latency from.

    >>> g = LineageGraph.from_records([{"node_id": 1}, {"node_id": 2}], [(1, 2)])
    >>> v = evaluate(parse_event({"eventCode": "freeze-node", "projectId": 9, "nodeIds": [1]}), g)
    >>> v.result.value, v.checkpoint("downstream-blocked").facts["live"]
    ('WARN', 1)
    """
    started = time.perf_counter() if started is None else started
    now = _aware(now or datetime.now(UTC))
    base = policy or default_policy()
    checks = tuple(checks)
    if isinstance(event, (Ignored, NodeChanged)):
        return _not_checked(event, graph, base, now, started)
    if isinstance(event, Unreadable):
        return verdict_for_error(event, base, f"the event cannot be read: {event.reason}", graph=graph, now=now,
                                 started=started)
    checkpoints: list[Checkpoint] = []
    try:
        effective = base.for_project(event.project_id, _options_for(event.project_id, options))
    except PolicyError as exc:
        effective = base.for_project(event.project_id)
        checkpoints.append(Checkpoint("policy-options", base.on_error,
                                      f"workspace options ignored, file policy applies: {exc}",
                                      {"error": str(exc), "key": exc.key}))
    notes: list[str] = []
    impact = backfill = None
    results: dict[int, Checkpoint | None] = {}
    failed: set[int] = set()   # checks that raised (their checkpoint follows on_error)

    def run(i: int) -> None:
        try:
            results[i] = checks[i](event, graph, effective, now)
        except Exception as exc:  # noqa: BLE001 — a failing check must still yield a verdict
            results[i] = _error_checkpoint(check_name(checks[i]), exc, effective)
            failed.add(i)

    with evaluation_scope():
        for i in (i for i, check in enumerate(checks) if check in SIZE_CHECKS):
            run(i)
        refused = any(cp is not None and cp.status is Status.FAIL and i not in failed for i, cp in results.items())
        if refused:
            notes.append("refused on its size alone: the other checks did not run")
            backfill = _size_only(event) if isinstance(event, Backfill) else None
        else:
            for i in range(len(checks)):
                if i not in results:
                    run(i)
            try:
                impact, backfill = _summaries(event, graph, effective, notes)
            except Exception as exc:  # noqa: BLE001
                results[len(checks)] = _error_checkpoint("summary", exc, effective)
    checkpoints += [cp for _, cp in sorted(results.items()) if cp is not None]
    result = worst(c.status for c in checkpoints)
    return Verdict(
        message_id=event.message_id, event_code=event.code.value, project_id=event.project_id, result=result,
        wire_result=effective.wire_result(result), tip=make_tip(result, checkpoints, () if refused else notes),
        checkpoints=tuple(checkpoints), snapshot=SnapshotInfo.of(graph, now), operator=event.operator,
        impact=impact, backfill=backfill, notes=tuple(notes),
        latency_ms=(time.perf_counter() - started) * 1000)


def evaluate_message(raw: Mapping[str, Any] | bytes | str, graph: LineageGraph, policy: Policy | None = None,
                     **kwargs: Any) -> Verdict:
    """`parse_event` + `evaluate`, latency measured from the raw message. An extension-point event that names
    its id and code but cannot be read gets its `on_error` verdict; other parse errors propagate
    (`EventParseError`: the caller answers 4xx or records the message as ignored)."""
    started = time.perf_counter()
    try:
        event: Event = parse_event(raw)
    except EventParseError as exc:
        if exc.unreadable is None:
            raise
        event = exc.unreadable
    return evaluate(event, graph, policy, started=started, **kwargs)


def _summaries(event: NodeOperation | Backfill, graph: LineageGraph, policy: Policy,
               notes: list[str]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The verdict's `impact` and `backfill` objects (docs/contract.md), the one that does not apply left None."""
    if isinstance(event, Backfill):
        est = backfill_estimate(event, graph, policy)
        if est.selection_mode == ALL_DOWNSTREAM:
            notes.append(selection_note(event, graph, est.node_count))
        return None, est.to_json()
    down = downstream(event, graph, policy)
    impact = down.impact.to_json(graph, include_descendants=False)
    impact.pop("descendants", None)
    counts = down.counts()
    impact.update(live_downstream_count=counts["live"], frozen_downstream_count=counts["frozen"],
                  dry_run_downstream_count=counts["dry_run"])
    return impact, None


def _size_only(event: Backfill) -> dict[str, Any]:
    """The `backfill` object of a backfill refused on its size: what is known without estimating (the
    bizdate count), None for the figures that were not computed, `estimated` False."""
    figures: dict[str, Any] = {key: None for key in EMPTY_BACKFILL}
    figures.update(bizdate_count=bizdate_count(event.periods), estimated=False)
    return figures


def _not_checked(event: Ignored | NodeChanged, graph: LineageGraph, policy: Policy, now: datetime,
                 started: float) -> Verdict:
    if isinstance(event, NodeChanged):
        idx, unknown = graph.positions([event.node_id])
        node = f"node {event.node_id}" if unknown else f"{graph.labels(idx)[0]} ({event.node_id})"
        code, reason = event.code.value, (f"{event.code.value} is a regular event (after the fact): nothing to "
                                          f"hold back; {node} recorded for the next check")
    else:
        code, reason = event.code, event.reason
    checkpoint = Checkpoint("not-checked", Status.OK, reason, {"event_code": code})
    return Verdict(message_id=event.message_id, event_code=code, project_id=event.project_id, result=Status.OK,
                   wire_result=Status.OK.value, tip=make_tip(Status.OK, [checkpoint]), checkpoints=(checkpoint,),
                   snapshot=SnapshotInfo.of(graph, now), operator=getattr(event, "operator", None), ignored=True,
                   latency_ms=(time.perf_counter() - started) * 1000)


def _error_checkpoint(name: str, exc: Exception, policy: Policy) -> Checkpoint:
    return Checkpoint(name, policy.on_error, f"check could not be evaluated ({type(exc).__name__}: {exc})",
                      {"error": str(exc), "error_type": type(exc).__name__})


def _options_for(project_id: int, options: ProjectOptions | None) -> str | Mapping[str, Any] | None:
    if not options:
        return None
    return options.get(project_id)


def _aware(now: datetime) -> datetime:
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)
