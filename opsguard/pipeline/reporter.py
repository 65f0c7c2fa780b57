"""Posting a verdict to DataWorks: one `UpdateWorkbenchEventResult` attempt, and what to do next.

The wire result is the verdict's `wire_result` (OK or FAIL: WARN goes as `policy.warn_as`, by default
OK with a tip starting "WARNING: "; a workspace's options may say FAIL). Each attempt is one HTTP
call (the client runs with `max_attempts = 1`, so every attempt lands in `deliveries` with its own
error); the worker re-queues failures with capped exponential backoff and jitter:

- throttling, 5xx, network → retried until `give_up_seconds` after the event was accepted;
- other rejections (bad parameters, access denied, credentials) → retried `rejected_attempts`
  times (a key rotation or a permission fix may land), then given up: `undeliverable`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from opsguard.state import DeliveryRow, InboxStatus, utcnow
from lineage.errors import ApiUnavailableError, DataWorksError
from lineage.retry import backoff_seconds, classify

__all__ = ["ReportJob", "ReportPolicy", "Attempt", "Reporter", "ResultPoster"]

DELIVERED, RETRY, GAVE_UP = "delivered", "retry", "gave-up"


@dataclass(frozen=True)
class ReportJob:
    """A verdict to post: `attempts` already made for this generation."""

    message_id: str
    generation: int
    check_result: str
    tip: str
    accepted_at: datetime
    attempts: int = 0

    def next(self) -> ReportJob:
        return replace(self, attempts=self.attempts + 1)


@dataclass(frozen=True)
class ReportPolicy:
    """How long and how often to keep trying."""

    base_seconds: float = 0.5
    cap_seconds: float = 30.0
    give_up_seconds: float = 24 * 3600.0
    rejected_attempts: int = 5


@dataclass(frozen=True)
class Attempt:
    """One attempt's record; `retry_in` seconds when to try again (None: done), `final` the inbox status."""

    row: DeliveryRow
    retry_in: float | None
    final: InboxStatus | None


class ResultPoster(Protocol):
    """The one call the reporter needs; `lineage.client.DataWorksClient` is one."""

    def update_workbench_event_result(self, message_id: str, extension_code: str, check_result: str,
                                      tip: str) -> None: ...


class Reporter:
    """Makes attempts through a client and decides about the next one."""

    def __init__(self, client: ResultPoster, extension_code: str, policy: ReportPolicy = ReportPolicy(), *,
                 rng: random.Random | None = None):
        self.client = client
        self.extension_code = extension_code
        self.policy = policy
        self._rng = rng or random.Random()

    def attempt(self, job: ReportJob) -> Attempt:
        """Post `job` once; never raises for DataWorks errors (they become the attempt's record)."""
        number = job.attempts + 1
        started = utcnow()
        try:
            self.client.update_workbench_event_result(job.message_id, self.extension_code, job.check_result, job.tip)
        except DataWorksError as exc:
            finished = utcnow()
            retry_in = self._retry_in(job, number, exc, finished)
            outcome = RETRY if retry_in is not None else GAVE_UP
            row = DeliveryRow(job.message_id, job.generation, number, started, finished, job.check_result, outcome,
                              exc.status, exc.code or type(exc).__name__, str(exc)[:500], exc.request_id or None,
                              finished + timedelta(seconds=retry_in) if retry_in is not None else None)
            return Attempt(row, retry_in, None if retry_in is not None else InboxStatus.UNDELIVERABLE)
        row = DeliveryRow(job.message_id, job.generation, number, started, utcnow(), job.check_result, DELIVERED)
        return Attempt(row, None, InboxStatus.REPORTED)

    def _retry_in(self, job: ReportJob, number: int, exc: DataWorksError, now: datetime) -> float | None:
        retryable = isinstance(exc, ApiUnavailableError)
        if not retryable and number >= self.policy.rejected_attempts:
            return None
        if (now - job.accepted_at).total_seconds() >= self.policy.give_up_seconds:
            return None
        failure = classify(exc.code, exc.status)
        delay = backoff_seconds(number, failure, base=self.policy.base_seconds, cap=self.policy.cap_seconds,
                                rng=self._rng)
        return max(delay, self.policy.base_seconds / 2)
