"""The reporter's decisions: deliver, retry with backoff (outlasting long outages), give up."""

from __future__ import annotations

import random
from datetime import timedelta

from lineage.errors import AccessDeniedError, ApiUnavailableError
from opsguard.pipeline.reporter import Reporter, ReportPolicy
from opsguard.store import DeliveryOutcome, InboxStatus, ReportClaim, utcnow


class Poster:
    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = []

    def update_workbench_event_result(self, message_id, extension_code, check_result, tip):
        self.calls.append((message_id, extension_code, check_result, tip))
        if self.errors:
            raise self.errors.pop(0)


def claim(age_seconds: float = 0, attempt: int = 1) -> ReportClaim:
    return ReportClaim("m1", attempt, utcnow() - timedelta(seconds=age_seconds), "OK", "WARNING: x")


def unavailable(status=500, code="InternalError.System"):
    return ApiUnavailableError("down", action="UpdateWorkbenchEventResult", code=code, status=status)


def test_delivered_sends_the_stored_check_result_and_tip():
    poster = Poster()
    attempt = Reporter(poster, "ext").attempt(claim())
    assert poster.calls == [("m1", "ext", "OK", "WARNING: x")]
    assert attempt.outcome is DeliveryOutcome.DELIVERED and attempt.final_status is InboxStatus.REPORTED
    assert attempt.next_attempt_at is None


def test_throttling_and_5xx_are_retried_with_capped_backoff_for_hours():
    reporter = Reporter(Poster(*[unavailable()] * 50), "ext", ReportPolicy(cap_seconds=30), rng=random.Random(1))
    attempts = [reporter.attempt(claim(age_seconds=3600, attempt=n + 1)) for n in range(40)]
    delays = [(a.next_attempt_at - a.finished_at).total_seconds() for a in attempts]
    assert all(0.25 <= d <= 30 for d in delays)
    assert sum(delays) > 300                          # forty attempts span minutes, not seconds
    assert attempts[3].http_status == 500 and attempts[3].error_code == "InternalError.System"
    assert attempts[3].final_status is None           # still judged: due again


def test_gives_up_after_the_give_up_time():
    reporter = Reporter(Poster(unavailable(429, "Throttling.User")), "ext", ReportPolicy(give_up_seconds=3600))
    attempt = reporter.attempt(claim(age_seconds=3601, attempt=99))
    assert attempt.outcome is DeliveryOutcome.GAVE_UP and attempt.final_status is InboxStatus.UNDELIVERABLE


def test_a_refusal_is_retried_a_few_times_only():
    denied = AccessDeniedError("no", code="Forbidden.Access", status=403)
    reporter = Reporter(Poster(denied, denied, denied), "ext", ReportPolicy(rejected_attempts=3))
    outcomes = [reporter.attempt(claim(attempt=n + 1)).outcome.value for n in range(3)]
    assert outcomes == ["retry", "retry", "gave-up"]
