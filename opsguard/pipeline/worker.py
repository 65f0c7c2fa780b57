"""The worker behind the inbox: every accepted event judged once, reported, and its verdict stored.

The CPU work (judging, the SDK call) runs in worker processes (`opsguard.pipeline.worker_pool`); this class,
in the server process, keeps the order and the records. Per event: judged → first report attempt →
verdict and attempt committed together (with `reported` when delivered); failed attempts are re-queued
after their backoff by a timer thread and re-post the stored verdict.

Why the report goes out before the verdict is committed: a commit waits for its batch (group commit),
and an operator is waiting for the answer. It costs no safety. A crash before the commit leaves the
inbox row `accepted` and `recover()` judges it again — whether or not DataWorks had the answer, exactly
as a crash between DataWorks answering and committing the attempt did when the verdict was stored
first: the one window for a second report, a batch long (the writer's linger, 0.1 s, and a commit).
Once stored, a verdict is never re-judged: an `evaluated` event is reported from it.

An event is *in flight* from the moment it is queued until its last attempt is committed.
`recover()` queues only unfinished inbox rows that are not in flight, so it can run at any time:
at start-up, and again whenever a worker process had to be replaced.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from opsguard.pipeline.judge import EvalJob, Judged
from opsguard.metrics import Metrics
from opsguard.pipeline.reporter import DELIVERED, Attempt, ReportJob, ReportPolicy
from opsguard.state import InboxStatus, StateStore, StatusChange, VerdictRow
from opsguard.state_writer import RecordDelivery, SaveVerdict, StateWriter
from opsguard.pipeline.worker_pool import WorkerGone, WorkerPool

__all__ = ["Worker"]

log = logging.getLogger(__name__)
Key = tuple[str, int]   # (message id, generation)


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
    """Evaluates and reports through `pool`; `submit` after an accept, `recover` at start-up."""

    def __init__(self, store: StateStore, writer: StateWriter, pool: WorkerPool, metrics: Metrics, *,
                 report_policy: ReportPolicy = ReportPolicy()):
        self.store, self.writer, self.pool, self.metrics = store, writer, pool, metrics
        self.report_policy = report_policy
        self._timer = _Timer()
        self._lock = threading.Lock()
        self._in_flight: set[Key] = set()
        self._evaluating = 0
        self._reporting = 0
        self._stopping = False

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> Worker:
        self._timer.start()
        return self

    def stop(self) -> None:
        """Finish what the workers are running; what is queued stays in the inbox for the next start."""
        self._stopping = True
        self._timer.stop()
        self.pool.stop()

    @property
    def backlog(self) -> dict[str, int]:
        """Events waiting for evaluation, for a report attempt, and reports waiting out a backoff."""
        return {"evaluations": self._evaluating, "reports": self._reporting, "retries": len(self._timer)}

    def recover(self) -> int:
        """Queue every unfinished inbox row that is not in flight; returns how many."""
        queued = 0
        for row in self.store.unfinished():
            key = (row.message_id, row.generation)
            if not self._claim(key):
                continue
            queued += 1
            verdict = self.store.verdict(row.message_id) if row.status is InboxStatus.EVALUATED else None
            if verdict is not None and verdict.generation == row.generation:
                self._queue_report(ReportJob(row.message_id, row.generation, verdict.wire_result, verdict.tip,
                                             row.received_at, row.attempts))
                continue
            stored = self.store.inbox_row(row.message_id)
            if stored is None:   # cannot happen (the row was just read); nothing to judge
                self._release(key)
                continue
            biz = stored.extension_biz_id
            recheck_of = self.store.previous_check(biz, row.message_id, row.received_at) if biz else None
            self._evaluate(EvalJob(row.message_id, row.generation, row.received_at, stored.raw,
                                   event_code=stored.event_code, project_id=stored.project_id,
                                   extension_biz_id=biz, recheck_of=recheck_of))
        if queued:
            log.info("queued %d accepted events not yet reported", queued)
        return queued

    # -- evaluation ------------------------------------------------------------------------------------
    def submit(self, job: EvalJob) -> None:
        """Queue a freshly accepted event for evaluation (a no-op when `recover` queued it already)."""
        if self._claim((job.message_id, job.generation)):
            self._evaluate(job)

    def _claim(self, key: Key) -> bool:
        with self._lock:
            if key in self._in_flight:
                return False
            self._in_flight.add(key)
            return True

    def _release(self, key: Key) -> None:
        with self._lock:
            self._in_flight.discard(key)

    def _count(self, evaluating: int = 0, reporting: int = 0) -> None:
        with self._lock:
            self._evaluating += evaluating
            self._reporting += reporting

    def _evaluate(self, job: EvalJob) -> None:
        self._count(evaluating=1)
        self.pool.evaluate(job).add_done_callback(lambda done: self._judged(done, job))

    def _judged(self, done: Future[Judged | None], job: EvalJob) -> None:
        self._count(evaluating=-1)
        key = (job.message_id, job.generation)
        error = done.exception()
        if error is not None or done.result() is None:
            self._release(key)   # stays `accepted`: recovered after a worker restart or at the next start
            if error is not None and not isinstance(error, WorkerGone):
                log.error("evaluating %s failed: %s; it stays in the inbox", job.message_id, error)
            return
        judged = done.result()
        assert judged is not None
        self.metrics.evaluation_seconds.observe(judged.latency_ms / 1000)
        self.metrics.verdicts.inc(code=judged.row.event_code or "", result=judged.result)
        self._queue_report(judged.report, verdict=judged.row)

    # -- reporting -------------------------------------------------------------------------------------
    def _queue_report(self, job: ReportJob, verdict: VerdictRow | None = None) -> None:
        """Post `job`; `verdict` is its verdict when not stored yet (stored with the attempt's outcome)."""
        if self._stopping:
            self._save_then_release(job, verdict)
            return
        self._count(reporting=1)
        self.pool.post(job).add_done_callback(lambda done: self._posted(done, job, verdict))

    def _posted(self, done: Future[Attempt], job: ReportJob, verdict: VerdictRow | None) -> None:
        self._count(reporting=-1)
        error = done.exception()
        if isinstance(error, WorkerGone):
            self._save_then_release(job, verdict)
            return
        if error is not None:
            log.error("reporting %s failed unexpectedly (%s); retrying later", job.message_id, error)
            if verdict is not None:
                self.writer.submit(SaveVerdict(verdict))
            self._retry_later(self.report_policy.cap_seconds, job)
            return
        attempt = done.result()
        status = None
        if attempt.final is not None:
            status = StatusChange(job.message_id, job.generation, attempt.final, attempt.row.finished_at)
        self.metrics.reports.inc(outcome=attempt.row.outcome)
        if attempt.row.outcome == DELIVERED:
            self.metrics.report_seconds.observe((attempt.row.finished_at - job.accepted_at).total_seconds())
        else:
            self.metrics.report_failures.inc(code=attempt.row.error_code or "unknown")
        op = RecordDelivery(attempt.row, status) if verdict is None else SaveVerdict(verdict, status, attempt.row)
        self.writer.submit(op).add_done_callback(lambda recorded: self._recorded(recorded, job, attempt))

    def _save_then_release(self, job: ReportJob, verdict: VerdictRow | None) -> None:
        """Not posted (or unknown whether): keep the verdict, so the next `recover` posts it, not a new one."""
        key = (job.message_id, job.generation)
        if verdict is None:
            self._release(key)
            return
        self.writer.submit(SaveVerdict(verdict)).add_done_callback(lambda _: self._release(key))

    def _recorded(self, done: Future[Any], job: ReportJob, attempt: Attempt) -> None:
        if done.exception() is not None:   # the row stays as it was: `recover` at the next start finishes it
            log.error("recording a report attempt of %s failed: %s", job.message_id, done.exception())
            self._release((job.message_id, job.generation))
            return
        if attempt.retry_in is not None:
            log.warning("reporting %s failed (%s %s); attempt %d, next in %.1fs", job.message_id,
                        attempt.row.http_status, attempt.row.error_code, attempt.row.attempt, attempt.retry_in)
            self._retry_later(attempt.retry_in, job.next())
            return
        if attempt.row.outcome != DELIVERED:
            log.error("giving up reporting %s after %d attempts: %s", job.message_id, attempt.row.attempt,
                      attempt.row.error_message)
        self._release((job.message_id, job.generation))

    def _retry_later(self, delay: float, job: ReportJob) -> None:
        if self._stopping:
            self._release((job.message_id, job.generation))
            return
        self._timer.call_later(delay, lambda: self._queue_report(job))
