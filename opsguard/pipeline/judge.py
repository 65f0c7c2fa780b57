"""Judging one stored extension message: the verdict row to store, from plain data.

No database and no network here: the judge worker (`opsguard.pipeline.judge_loop`) claims rows and stores
what this returns. Never raises for a bad message or a failing check: those become the policy's
`on_error` verdict (`evaluator.unjudged`), saying why in the tip, so every accepted extension message gets
exactly one answer.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from typing import Any

from evaluator.evaluate import evaluate
from evaluator.events import (Backfill, Event, EventIdentity, EventParseError, Ignored, NodeChanged, NodeOperation,
                              parse_event)
from evaluator.policy import Policy
from evaluator.unjudged import verdict_for_error, verdict_for_timeout
from evaluator.verdict import Status, Verdict
from evaluator.waivers import Waiver, apply_waivers
from lineage.live import LiveGraph
from opsguard.store import InboxRow, VerdictRow, utcnow

__all__ = ["judge", "timeout_verdict"]

log = logging.getLogger(__name__)


def judge(row: InboxRow, live: LiveGraph | None, policy: Policy, *, doc_base: str = "",
          load_error: str | None = None, recheck_of: str | None = None,
          waivers: Sequence[Waiver] = ()) -> VerdictRow:
    """The verdict of an accepted extension message on `live` (None: no snapshot loaded), overridden by a
    matching waiver in force (`evaluator.waivers`) if any."""
    started = time.perf_counter()
    graph = live.graph if live else None
    try:
        event: Event = parse_event(row.raw)
    except EventParseError as exc:   # stored because its id and code could be read: answered with on_error
        verdict = verdict_for_error(exc.unreadable or _identity(row), policy, str(exc), graph=graph, started=started)
        return _row(row, verdict, live, doc_base, recheck_of, waivers=waivers)
    if isinstance(event, (Ignored, NodeChanged)):   # cannot happen: such rows are not extension rows
        verdict = verdict_for_error(event, policy, f"{row.event_code} is not an operation to judge", graph=graph,
                                    started=started)
    elif live is None:
        reason = f"the metadata snapshot cannot be loaded: {load_error}" if load_error else \
            "no metadata snapshot is loaded yet (run `opsguard sync`)"
        verdict = verdict_for_error(event, policy, reason, started=started)
    else:
        try:
            verdict = evaluate(event, live.graph, policy, options=live.options, started=started)
        except Exception as exc:  # noqa: BLE001 — never silence: answer with on_error
            log.exception("evaluation of %s failed", row.message_id)
            verdict = verdict_for_error(event, policy, f"evaluation failed ({type(exc).__name__}: {exc})",
                                        graph=graph, started=started)
    return _row(row, verdict, live, doc_base, recheck_of, event, waivers=waivers)


def timeout_verdict(row: InboxRow, policy: Policy, elapsed_seconds: float, live: LiveGraph | None, *,
                    doc_base: str = "", recheck_of: str | None = None) -> VerdictRow:
    """The answer for a message whose judgement ran past its time budget: `policy.on_timeout` (FAIL unless
    the policy says otherwise), so an absurd request is never let through by running long."""
    verdict = verdict_for_timeout(_identity(row), policy, elapsed_seconds=elapsed_seconds,
                                  graph=live.graph if live else None)
    return _row(row, verdict, live, doc_base, recheck_of)


def _identity(row: InboxRow) -> EventIdentity:
    return EventIdentity(row.message_id, row.event_code, row.project_id, row.operator)


def _row(row: InboxRow, verdict: Verdict, live: LiveGraph | None, doc_base: str, recheck_of: str | None,
         event: Any = None, *, waivers: Sequence[Waiver] = ()) -> VerdictRow:
    if waivers:
        baselines = list((verdict.impact or {}).get("baseline_ids") or [])
        verdict = apply_waivers(verdict, waivers, node_ids=_named_nodes(event), baseline_ids=baselines)
    text = verdict.to_text(doc_base, recheck_of=recheck_of, accepted_at=row.received_at.isoformat(),
                           overlay={"version": live.overlay_version if live else 0,
                                    "nodes": list(live.overlay_nodes) if live else []})
    checkpoints = [{"name": c.name, "status": c.status.value, "message": c.message} for c in verdict.checkpoints]
    flagged = [c["name"] for c in checkpoints if c["status"] != Status.OK.value]
    return VerdictRow(message_id=row.message_id, evaluated_at=utcnow(), event_code=verdict.event_code,
                      project_id=verdict.project_id, operator=verdict.operator, result=verdict.result.value,
                      wire_result=verdict.wire_result, tip=verdict.tip, snapshot_id=verdict.snapshot.id,
                      overlay_version=live.overlay_version if live else None, recheck_of=recheck_of,
                      latency_ms=verdict.latency_ms, checkpoints=json.dumps(checkpoints, ensure_ascii=False),
                      flagged_checks="," + "".join(f"{name}," for name in flagged),
                      node_ids="," + "".join(f"{n}," for n in _named_nodes(event)), verdict=text)


def _named_nodes(event: Any) -> list[int]:
    """Every node the event names (what an audit finds it by)."""
    if isinstance(event, (NodeOperation, Backfill)):
        return sorted(set(event.node_ids))
    return []
