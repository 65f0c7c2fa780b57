"""Judging one accepted event: the verdict to store and the result to post, from plain data.

This is what a worker process does with an `EvalJob`; it touches no database and no network, so
it runs wherever the graph is (see `opsguard.pipeline.worker_process`) and is tested without either.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from evaluator.evaluate import evaluate
from evaluator.events import Event, EventParseError, Ignored, NodeChanged, parse_event
from lineage.live import LiveGraph
from evaluator.policy import Policy, PolicyError
from opsguard.pipeline.reporter import ReportJob
from opsguard.state import VerdictRow, utcnow
from evaluator.verdict import Checkpoint, SnapshotInfo, Status, Verdict, make_tip

__all__ = ["EvalJob", "Judged", "judge", "error_verdict"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalJob:
    """An accepted extension event to judge: the stored `raw` body (parsed again where it is judged:
    text crosses a process boundary more cheaply than the parsed event), and the inbox row's
    `event_code` and `project_id` for the error verdict of a body that no longer parses."""

    message_id: str
    generation: int
    accepted_at: datetime
    raw: str
    event_code: str | None = None
    project_id: int | None = None
    extension_biz_id: str | None = None
    recheck_of: str | None = None


@dataclass(frozen=True)
class Judged:
    """A verdict ready to store (`row`) and, once stored, to post (`report`)."""

    row: VerdictRow
    report: ReportJob
    result: str
    latency_ms: float


def judge(job: EvalJob, live: LiveGraph | None, policy: Policy, *, doc_base: str = "",
          load_error: str | None = None, started: float | None = None) -> Judged | None:
    """The verdict of `job` on `live` (None when the event blocks nothing: node changes, ignored codes).

    Never raises for a bad event or a failed check: those become a `policy.on_error` verdict that
    says why, so every accepted extension event gets exactly one answer.
    """
    started = time.perf_counter() if started is None else started
    event: Event | None = None
    reason = ""
    try:
        event = parse_event(job.raw)
    except EventParseError as exc:
        reason = f"stored message cannot be read again: {exc}"
    if isinstance(event, (Ignored, NodeChanged)):
        return None
    if event is None:
        verdict = error_verdict(job.message_id, job.event_code, job.project_id, policy, reason, live, started)
    elif live is None:
        reason = f"the metadata snapshot cannot be loaded: {load_error}" if load_error else \
            "no metadata snapshot is loaded yet (run `opsguard sync`)"
        verdict = error_verdict(job.message_id, event.code.value, event.project_id, policy, reason, live, started,
                                operator=event.operator)
    else:
        try:
            verdict = evaluate(event, live.graph, policy, options=live.options, started=started)
        except Exception as exc:  # noqa: BLE001 — never silence: answer with on_error
            log.exception("evaluation of %s failed", job.message_id)
            verdict = error_verdict(job.message_id, event.code.value, event.project_id, policy,
                                    f"evaluation failed ({type(exc).__name__}: {exc})", live, started,
                                    operator=event.operator)
    text = verdict.to_text(doc_base, generation=job.generation, recheck_of=job.recheck_of,
                           accepted_at=job.accepted_at.isoformat(),
                           overlay={"version": live.overlay_version if live else 0,
                                    "nodes": list(live.overlay_nodes) if live else []})
    row = VerdictRow(job.message_id, job.generation, utcnow(), verdict.event_code, verdict.project_id,
                     verdict.operator, verdict.result.value, verdict.wire_result, verdict.tip, verdict.snapshot.id,
                     live.overlay_version if live else None, job.recheck_of, verdict.latency_ms, text)
    report = ReportJob(job.message_id, job.generation, verdict.wire_result, verdict.tip, job.accepted_at)
    return Judged(row, report, verdict.result.value, verdict.latency_ms)


def error_verdict(message_id: str, event_code: str | None, project_id: int | None, policy: Policy, reason: str,
                  live: LiveGraph | None, started: float, *, operator: str | None = None) -> Verdict:
    """The answer when an event cannot be judged: `policy.on_error` (default WARN) with the reason."""
    try:
        effective = policy.for_project(project_id)
    except PolicyError:
        effective = policy
    status = effective.on_error
    checkpoint = Checkpoint("evaluation", status, f"opsguard could not judge this operation: {reason}",
                            {"error": reason})
    wire = effective.warn_as.value if status is Status.WARN else status.value
    graph = live.graph if live else None
    snapshot = SnapshotInfo(graph.snapshot_id if graph else "none", graph.synced_at if graph else None, None)
    return Verdict(message_id=message_id, event_code=event_code, project_id=project_id, result=status,
                   wire_result=wire, tip=make_tip(status, [checkpoint]), checkpoints=(checkpoint,),
                   snapshot=snapshot, operator=operator, latency_ms=(time.perf_counter() - started) * 1000)
