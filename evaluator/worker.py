"""The worker behind the inbox: evaluate accepted events, store the verdict, report it until delivered.

Two thread pools: evaluations (CPU, a few threads) and reports (I/O, more threads); a timer thread
re-queues failed reports after their backoff. Order per event: verdict committed → report attempt →
attempt committed (with `reported` when delivered). A crash anywhere leaves the inbox row `accepted`
or `evaluated`, and `recover()` picks it up at the next start: an evaluated event is reported from its
stored verdict, never re-judged. (The only window for a second report is a crash between DataWorks
answering and the commit of that answer: a few milliseconds; the repeat carries the same result.)
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evaluator.evaluate import evaluate
from evaluator.events import Event, EventParseError, Ignored, NodeChanged, parse_event
from evaluator.graphs import GraphHolder, LiveGraph
from evaluator.metrics import Metrics
from evaluator.policy import Policy, PolicyError
from evaluator.reporter import DELIVERED, Attempt, Reporter, ReportJob
from evaluator.state import InboxStatus, StateStore, StatusChange, VerdictRow, utcnow
from evaluator.state_writer import RecordDelivery, SaveVerdict, StateWriter
from evaluator.verdict import Checkpoint, SnapshotInfo, Status, Verdict, make_tip

__all__ = ["EvalJob", "Worker", "error_verdict"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalJob:
    """An accepted extension event to judge; `event` is None when recovered (parsed again from `raw`)."""

    message_id: str
    generation: int
    accepted_at: datetime
    needs_version: int
    event: Event | None = None
    extension_biz_id: str | None = None
    recheck_of: str | None = None      # known at accept time; looked up again for recovered events


class _Timer:
    """Runs callbacks after a delay, on one thread, earliest first."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="report-timer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def call_later(self, delay: float, callback: Callable[[], None]) -> None:
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), callback))
            self._cond.notify()

    def __len__(self) -> int:
        return len(self._heap)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    self._cond.wait(None if not self._heap else max(self._heap[0][0] - time.monotonic(), 0))
                if self._stopped:
                    return
                _, _, callback = heapq.heappop(self._heap)
            callback()


class Worker:
    """Evaluates and reports; `submit` after an accept, `recover` once at start-up."""

    def __init__(self, store: StateStore, writer: StateWriter, graphs: GraphHolder, reporter: Reporter,
                 policy: Policy, metrics: Metrics, *, eval_workers: int = 2, report_workers: int = 8,
                 doc_base: str = ""):
        self.store, self.writer, self.graphs, self.reporter = store, writer, graphs, reporter
        self.policy, self.metrics = policy, metrics
        self.doc_base = doc_base   # the public URL checkpoints' doc_url hang under ("" = relative /docs#name)
        self._evals = ThreadPoolExecutor(max(1, eval_workers), thread_name_prefix="evaluate")
        self._reports = ThreadPoolExecutor(max(1, report_workers), thread_name_prefix="report")
        self._timer = _Timer()
        self._lock = threading.Lock()
        self._pending_evals = 0
        self._pending_reports = 0
        self._stopping = False

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> Worker:
        self._timer.start()
        return self

    def stop(self) -> None:
        """Finish what is running; what is queued stays in the inbox for the next start."""
        self._stopping = True
        self._timer.stop()
        self._evals.shutdown(wait=True, cancel_futures=True)
        self._reports.shutdown(wait=True, cancel_futures=True)

    @property
    def backlog(self) -> dict[str, int]:
        """Events waiting for evaluation, for a report attempt, and reports waiting out a backoff."""
        return {"evaluations": self._pending_evals, "reports": self._pending_reports, "retries": len(self._timer)}

    def recover(self) -> int:
        """Queue every accepted-but-unreported event of the inbox; returns how many."""
        rows = self.store.unfinished()
        for row in rows:
            if row.status is InboxStatus.ACCEPTED:
                self.submit(EvalJob(row.message_id, row.generation, row.received_at, self.graphs.version))
                continue
            verdict = self.store.verdict(row.message_id)
            if verdict is None or verdict.generation != row.generation:
                self.submit(EvalJob(row.message_id, row.generation, row.received_at, self.graphs.version))
                continue
            self._queue_report(ReportJob(row.message_id, row.generation, verdict.wire_result, verdict.tip,
                                         row.received_at, row.attempts))
        if rows:
            log.info("recovered %d accepted events not yet reported", len(rows))
        return len(rows)

    # -- evaluation ------------------------------------------------------------------------------------
    def submit(self, job: EvalJob) -> None:
        """Queue an accepted event for evaluation."""
        with self._lock:
            self._pending_evals += 1
        self._evals.submit(self._evaluate_safely, job)

    def _evaluate_safely(self, job: EvalJob) -> None:
        try:
            self._evaluate(job)
        except Exception:  # noqa: BLE001 — the row stays `accepted` and is retried at the next start
            log.exception("evaluating %s failed; it stays in the inbox", job.message_id)
        finally:
            with self._lock:
                self._pending_evals -= 1

    def _evaluate(self, job: EvalJob) -> None:
        started = time.perf_counter()
        event = job.event
        row = None
        if event is None:
            row = self.store.inbox_row(job.message_id)
            if row is None:
                return
            try:
                event = parse_event(row.raw)
            except EventParseError as exc:
                event = None
                reason = f"stored message cannot be read again: {exc}"
        live = self.graphs.graph_for(job.needs_version)
        if event is None:
            verdict = error_verdict(job.message_id, row.event_code if row else None,
                                    row.project_id if row else None, self.policy, reason, live, started)
        elif isinstance(event, (Ignored, NodeChanged)):
            return
        elif live is None:
            reason = "no metadata snapshot is loaded yet (run `opsguard sync`)"
            if self.graphs.load_error:
                reason = f"the metadata snapshot cannot be loaded: {self.graphs.load_error}"
            verdict = error_verdict(job.message_id, event.code.value, event.project_id, self.policy, reason, live,
                                    started, operator=event.operator)
        else:
            try:
                verdict = evaluate(event, live.graph, self.policy, options=live.options, started=started)
            except Exception as exc:  # noqa: BLE001 — never silence: answer with on_error
                log.exception("evaluation of %s failed", job.message_id)
                verdict = error_verdict(job.message_id, event.code.value, event.project_id, self.policy,
                                        f"evaluation failed ({type(exc).__name__}: {exc})", live, started,
                                        operator=event.operator)
        recheck_of = job.recheck_of
        biz = job.extension_biz_id or getattr(event, "extension_biz_id", None)
        if job.event is None and biz:
            recheck_of = self.store.previous_check(biz, job.message_id, job.accepted_at)
        now = utcnow()
        doc = verdict.to_json(doc_base=self.doc_base)
        doc.update(generation=job.generation, recheck_of=recheck_of, accepted_at=job.accepted_at.isoformat(),
                   overlay={"version": live.overlay_version if live else 0,
                            "nodes": list(live.overlay_nodes) if live else []})
        stored = VerdictRow(job.message_id, job.generation, now, verdict.event_code, verdict.project_id,
                            verdict.operator, verdict.result.value, verdict.wire_result, verdict.tip,
                            verdict.snapshot.id, live.overlay_version if live else None, recheck_of,
                            verdict.latency_ms, json.dumps(doc, default=str, ensure_ascii=False))
        self.metrics.evaluation_seconds.observe(verdict.latency_ms / 1000)
        self.metrics.verdicts.inc(code=verdict.event_code or "", result=verdict.result.value)
        report = ReportJob(job.message_id, job.generation, verdict.wire_result, verdict.tip, job.accepted_at)
        # Reported only once the verdict is committed, but without holding this thread: it judges the next event.
        with self._lock:
            self._pending_reports += 1
        self.writer.submit(SaveVerdict(stored)).add_done_callback(lambda done: self._saved(done, report))

    def _saved(self, done: Future[Any], report: ReportJob) -> None:
        with self._lock:
            self._pending_reports -= 1
        if done.exception() is not None:   # stays `accepted`: evaluated again at the next start
            log.error("storing the verdict of %s failed: %s", report.message_id, done.exception())
            return
        self._queue_report(report)

    # -- reporting -------------------------------------------------------------------------------------
    def _queue_report(self, job: ReportJob) -> None:
        if self._stopping:
            return
        with self._lock:
            self._pending_reports += 1
        try:
            self._reports.submit(self._report_safely, job)
        except RuntimeError:  # shutting down: the row stays `evaluated` for the next start
            with self._lock:
                self._pending_reports -= 1

    def _report_safely(self, job: ReportJob) -> None:
        try:
            self._report(job)
        except Exception:  # noqa: BLE001
            log.exception("reporting %s failed unexpectedly; retrying later", job.message_id)
            self._timer.call_later(self.reporter.policy.cap_seconds, lambda: self._queue_report(job))
        finally:
            with self._lock:
                self._pending_reports -= 1

    def _report(self, job: ReportJob) -> None:
        attempt: Attempt = self.reporter.attempt(job)
        status = None
        if attempt.final is not None:
            status = StatusChange(job.message_id, job.generation, attempt.final, attempt.row.finished_at)
        # Not waited for: the next attempt or the next report goes on while the writer commits this one.
        self.writer.submit(RecordDelivery(attempt.row, status)).add_done_callback(_log_failure)
        self.metrics.reports.inc(outcome=attempt.row.outcome)
        if attempt.row.outcome == DELIVERED:
            self.metrics.report_seconds.observe((attempt.row.finished_at - job.accepted_at).total_seconds())
            return
        self.metrics.report_failures.inc(code=attempt.row.error_code or "unknown")
        if attempt.retry_in is not None:
            log.warning("reporting %s failed (%s %s); attempt %d, next in %.1fs", job.message_id,
                        attempt.row.http_status, attempt.row.error_code, attempt.row.attempt, attempt.retry_in)
            nxt = job.next()
            self._timer.call_later(attempt.retry_in, lambda: self._queue_report(nxt))
        else:
            log.error("giving up reporting %s after %d attempts: %s", job.message_id, attempt.row.attempt,
                      attempt.row.error_message)


def _log_failure(done: Future[Any]) -> None:
    if done.exception() is not None:
        log.error("recording a report attempt failed: %s", done.exception())


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
