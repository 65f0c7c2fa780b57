"""The report worker: claims judged messages whose report is due and posts their stored verdicts.

`Store.claim_reports` writes each attempt's row (`sending`) in the same transaction as the claim, so every
call that leaves is on record first; a worker killed mid-call leaves it `sending`, and whoever claims the
message next marks it `unknown` and posts the same stored verdict again (posting is at-least-once: DataWorks
offers no way to ask whether a result arrived; a second post carries the same result). Calls run
concurrently on a thread pool (each waits a round trip); their outcomes are recorded in batches by one
recorder thread, one transaction per batch.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from opsguard.pipeline.leases import lease_until
from opsguard.pipeline.reporter import Reporter
from opsguard.store import Attempt, DeliveryOutcome, EventKind, InboxStatus, ReportClaim, Store, utcnow

__all__ = ["ReportLoop"]

log = logging.getLogger(__name__)
_RECORD_BATCH = 256


class ReportLoop:
    """`run_once()` claims as many due reports as there are free posting threads and starts them."""

    def __init__(self, store: Store, reporter: Reporter, worker: str, metrics: Any, *, threads: int = 64,
                 lease_seconds: float = 20.0):
        self.store, self.reporter, self.worker, self.metrics = store, reporter, worker, metrics
        self.threads, self.lease_seconds = threads, lease_seconds
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="post")
        self._in_flight = 0
        self._lock = threading.Lock()
        self._done: queue.SimpleQueue[Attempt | None] = queue.SimpleQueue()
        self._recorder = threading.Thread(target=self._record, name="report-recorder", daemon=True)
        self._recorder.start()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def run_once(self) -> int:
        """Start the due reports that fit; how many were started."""
        free = self.threads - self._in_flight
        now = utcnow()
        if free <= 0 or not self.store.has_work(EventKind.EXTENSION, InboxStatus.JUDGED, now):
            return 0
        claims = self.store.claim_reports(self.worker, now, lease_until(self.lease_seconds, now), free)
        with self._lock:
            self._in_flight += len(claims)
        for claim in claims:
            self._pool.submit(self._post, claim)
        return len(claims)

    def _post(self, claim: ReportClaim) -> None:
        try:
            attempt = self.reporter.attempt(claim)
        except Exception as exc:  # noqa: BLE001 — an unexpected failure is a retry, never a lost report
            log.exception("posting the result of %s failed unexpectedly", claim.message_id)
            attempt = Attempt(claim.message_id, claim.attempt, DeliveryOutcome.RETRY, utcnow(),
                              lease_until(self.reporter.policy.cap_seconds), error_code=type(exc).__name__,
                              error_message=str(exc)[:500])
        self.metrics.inc("reports", outcome=attempt.outcome.value)
        if attempt.outcome is DeliveryOutcome.DELIVERED:
            self.metrics.observe("report_seconds", (attempt.finished_at - claim.received_at).total_seconds())
        else:
            self.metrics.inc("report_failures", code=attempt.error_code or "unknown")
            log.warning("reporting %s failed (%s %s), attempt %d%s", claim.message_id, attempt.http_status,
                        attempt.error_code, attempt.attempt,
                        f"; next at {attempt.next_attempt_at:%H:%M:%S}" if attempt.next_attempt_at else "; gave up")
        self._done.put(attempt)

    def _record(self) -> None:
        while True:
            first = self._done.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < _RECORD_BATCH:
                try:
                    item = self._done.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._done.put(None)
                    break
                batch.append(item)
            try:
                self.store.finish_reports(batch, self.worker)
            except Exception as exc:  # noqa: BLE001 — the claims lapse and the reports are posted again
                log.error("recording %d report attempt(s) failed: %s; they will be posted again", len(batch), exc)
            with self._lock:
                self._in_flight -= len(batch)

    def close(self) -> None:
        """Let posts in flight finish and their outcomes be recorded."""
        self._pool.shutdown(wait=True)
        self._done.put(None)
        self._recorder.join(30)
