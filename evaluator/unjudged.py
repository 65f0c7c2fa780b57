"""Verdicts for events opsguard could not judge: the payload cannot be read, a judgement failed, or it ran
past its time budget. Same JSON shape as every verdict (docs/contract.md "JSON shapes"), one checkpoint
`evaluation` saying why, the result from the policy: `on_error` (default FAIL) or `on_timeout`
(default FAIL); docs/policy.md says why both fail closed.

Pure: the service calls these where it catches the failure (it enforces `judge_budget_seconds`), so
every extension-point event that carries a message id gets exactly one answer.
"""

from __future__ import annotations

import time
from datetime import datetime

from evaluator.events import Event, EventIdentity
from evaluator.policy import Policy, PolicyError
from evaluator.verdict import Checkpoint, SnapshotInfo, Status, Verdict, make_tip
from lineage.graph import LineageGraph

__all__ = ["verdict_for_error", "verdict_for_timeout", "CHECKPOINT"]

CHECKPOINT = "evaluation"   # the checkpoint of every verdict built here (documented in evaluator.checks.doc)


def verdict_for_error(event: Event | EventIdentity, policy: Policy, reason: str, *,
                      graph: LineageGraph | None = None, now: datetime | None = None,
                      started: float | None = None) -> Verdict:
    """The answer to an event that could not be judged: the workspace's `on_error`, with `reason`.

    `event` is a parsed event (an `Unreadable` one too) or an `EventIdentity` built from what the
    service stored (message id, code, workspace). `reason` is one line saying what went wrong.

    >>> from evaluator.policy import default_policy
    >>> v = verdict_for_error(EventIdentity("m-1", "backfill-data", 215001), default_policy(),
    ...                       "data.multipleTimePeriods: required field is missing")
    >>> v.result.value, v.wire_result, v.tip
    ('FAIL', 'FAIL', 'FAIL: opsguard could not judge this operation: data.multipleTimePeriods: required field is missing')
    """
    effective = _effective(policy, event)
    return _verdict(event, effective, effective.on_error, f"opsguard could not judge this operation: {_clean(reason)}",
                    {"error": _clean(reason)}, graph, now, started)


def verdict_for_timeout(event: Event | EventIdentity, policy: Policy, *, elapsed_seconds: float | None = None,
                        graph: LineageGraph | None = None, now: datetime | None = None,
                        started: float | None = None) -> Verdict:
    """The answer to an event whose judgement ran past the workspace's `judge_budget_seconds`: `on_timeout`.

    >>> from evaluator.policy import parse_policy
    >>> v = verdict_for_timeout(EventIdentity("m-2", "freeze-node", 7), parse_policy('on_timeout = "WARN"'),
    ...                         elapsed_seconds=12.5)
    >>> v.result.value, v.wire_result, v.checkpoint("evaluation").facts["budget_seconds"]
    ('WARN', 'OK', 10.0)
    >>> v.tip
    'WARNING: opsguard could not judge this operation in time: judging took longer than its 10 s budget (12.5 s)'
    """
    effective = _effective(policy, event)
    budget = effective.judge_budget_seconds
    took = f" ({elapsed_seconds:,.3g} s)" if elapsed_seconds is not None else ""
    message = f"opsguard could not judge this operation in time: judging took longer than its {budget:g} s budget{took}"
    facts = {"timed_out": True, "budget_seconds": budget, "elapsed_seconds": elapsed_seconds}
    return _verdict(event, effective, effective.on_timeout, message, facts, graph, now, started)


def _effective(policy: Policy, event: Event | EventIdentity) -> Policy:
    try:
        return policy.for_project(event.project_id)
    except PolicyError:   # a broken override must not stop the answer: the file policy applies
        return policy


def _verdict(event: Event | EventIdentity, policy: Policy, status: Status, message: str, facts: dict[str, object],
             graph: LineageGraph | None, now: datetime | None, started: float | None) -> Verdict:
    checkpoint = Checkpoint(CHECKPOINT, status, message, facts)
    code = event.code
    return Verdict(message_id=event.message_id, event_code=None if code is None else str(code),
                   project_id=event.project_id, result=status, wire_result=policy.wire_result(status),
                   tip=make_tip(status, [checkpoint]), checkpoints=(checkpoint,), snapshot=SnapshotInfo.of(graph, now),
                   operator=getattr(event, "operator", None),
                   latency_ms=0.0 if started is None else (time.perf_counter() - started) * 1000)


def _clean(text: str) -> str:
    """One line of valid Unicode (a reason may quote the input: lone surrogates are escaped)."""
    return " ".join(text.encode("utf-8", "backslashreplace").decode("utf-8").split())
