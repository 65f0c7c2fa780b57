"""Posting a stored verdict to DataWorks: one `UpdateWorkbenchEventResult` call, and what to do next.

The check result is the stored verdict's `wire_result` (OK or FAIL: WARN goes as `policy.warn_as`, by
default OK with a tip starting "WARNING: "); a re-post carries the same stored verdict, never a new
judgement. Each attempt is one HTTP call (the client runs with `max_attempts = 1`), recorded in
`deliveries` before it leaves; failures are tried again with capped exponential backoff and jitter:

- throttling, 5xx, network → until `give_up_seconds` after the event was accepted;
- other rejections (bad parameters, access denied, credentials) → `rejected_attempts` times (a key
  rotation or a permission fix may land), then given up: `undeliverable`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from lineage.errors import ApiUnavailableError, DataWorksError
from lineage.retry import backoff_seconds, classify
from opsguard.store import Attempt, DeliveryOutcome, ReportClaim, utcnow

__all__ = ["ReportPolicy", "Reporter", "ResultPoster"]


@dataclass(frozen=True)
class ReportPolicy:
    """How long and how often to keep trying."""

    base_seconds: float = 0.5
    cap_seconds: float = 30.0
    give_up_seconds: float = 24 * 3600.0
    rejected_attempts: int = 5


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

    def attempt(self, claim: ReportClaim) -> Attempt:
        """Post once; never raises for DataWorks errors (they become the attempt's record)."""
        try:
            self.client.update_workbench_event_result(claim.message_id, self.extension_code, claim.check_result,
                                                      claim.tip)
        except DataWorksError as exc:
            finished = utcnow()
            retry_in = self._retry_in(claim, exc)
            return Attempt(claim.message_id, claim.attempt,
                           DeliveryOutcome.RETRY if retry_in is not None else DeliveryOutcome.GAVE_UP, finished,
                           finished + timedelta(seconds=retry_in) if retry_in is not None else None,
                           exc.status, exc.code or type(exc).__name__, str(exc)[:500], exc.request_id or None)
        return Attempt(claim.message_id, claim.attempt, DeliveryOutcome.DELIVERED, utcnow())

    def _retry_in(self, claim: ReportClaim, exc: DataWorksError) -> float | None:
        retryable = isinstance(exc, ApiUnavailableError)
        if not retryable and claim.attempt >= self.policy.rejected_attempts:
            return None
        if (utcnow() - claim.received_at).total_seconds() >= self.policy.give_up_seconds:
            return None
        delay = backoff_seconds(claim.attempt, classify(exc.code, exc.status), base=self.policy.base_seconds,
                                cap=self.policy.cap_seconds, rng=self._rng)
        return max(delay, self.policy.base_seconds / 2)
