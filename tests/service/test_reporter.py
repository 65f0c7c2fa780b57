"""The reporter's decisions: deliver, retry with backoff (outlasting long outages), give up."""

from __future__ import annotations

import random
from datetime import timedelta

from opsguard.pipeline.reporter import ReportJob, Reporter, ReportPolicy
from opsguard.state import InboxStatus, utcnow
from lineage.errors import AccessDeniedError, ApiUnavailableError


class Poster:
    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = []

    def update_workbench_event_result(self, message_id, extension_code, check_result, tip):
        self.calls.append((message_id, extension_code, check_result, tip))
        if self.errors:
            raise self.errors.pop(0)


def job(age_seconds: float = 0, attempts: int = 0) -> ReportJob:
    return ReportJob("m1", 1, "OK", "WARNING: x", utcnow() - timedelta(seconds=age_seconds), attempts)


def unavailable(status=500, code="InternalError.System"):
    return ApiUnavailableError("down", action="UpdateWorkbenchEventResult", code=code, status=status)


def test_delivered_sends_the_wire_result_and_tip():
    poster = Poster()
    attempt = Reporter(poster, "ext").attempt(job())
    assert poster.calls == [("m1", "ext", "OK", "WARNING: x")]
    assert attempt.row.outcome == "delivered" and attempt.final is InboxStatus.REPORTED and attempt.retry_in is None


def test_throttling_and_5xx_are_retried_with_capped_backoff_for_hours():
    reporter = Reporter(Poster(*[unavailable()] * 50), "ext", ReportPolicy(cap_seconds=30), rng=random.Random(1))
    delays = [reporter.attempt(job(age_seconds=3600, attempts=n)).retry_in for n in range(40)]
    assert all(d is not None and 0.25 <= d <= 30 for d in delays)
    assert sum(delays) > 300                          # forty attempts span minutes, not seconds
    throttled = reporter.attempt(job(attempts=3))
    assert throttled.row.http_status == 500 and throttled.row.error_code == "InternalError.System"


def test_gives_up_after_the_give_up_time():
    reporter = Reporter(Poster(unavailable(429, "Throttling.User")), "ext", ReportPolicy(give_up_seconds=3600))
    attempt = reporter.attempt(job(age_seconds=3601, attempts=99))
    assert attempt.retry_in is None and attempt.row.outcome == "gave-up" and attempt.final is InboxStatus.UNDELIVERABLE


def test_a_refusal_is_retried_a_few_times_only():
    denied = AccessDeniedError("no", code="Forbidden.Access", status=403)
    reporter = Reporter(Poster(denied, denied, denied), "ext", ReportPolicy(rejected_attempts=3))
    outcomes = [reporter.attempt(job(attempts=n)).row.outcome for n in range(3)]
    assert outcomes == ["retry", "retry", "gave-up"]
