"""The result API fails for a while (500, then 429): verdicts are delivered once it recovers, exactly once,
and `deliveries` holds every failed attempt."""

from __future__ import annotations

from collections import Counter

from opsguard.store import InboxStatus
from tests.service.conftest import reported, sample, wait_for, wait_reported

RESULT_API = ["UpdateWorkbenchEventResult"]


def test_500_then_429_from_the_result_api_then_recovery_delivers_each_verdict_once(start_server, emulator):
    emulator.set_faults(error_rate=1.0, actions=RESULT_API)
    server = start_server(report_backoff_cap_seconds=0.3)
    events = [sample(code, fresh=True) for code in ("freeze-node", "unfreeze-node", "undeploy-node", "backfill-data")]
    assert [server.pusher.push(e).status_code for e in events] == [202] * 4
    ids = [e["id"] for e in events]
    store = server.service.store
    wait_for(lambda: all(len(store.deliveries(m)) >= 3 for m in ids), what="three failed attempts each")

    emulator.set_faults(qps=0, actions=RESULT_API)      # throttled now: every call 429 Throttling.User
    throttled_before = emulator.stats()["throttled"]
    wait_for(lambda: emulator.stats()["throttled"] >= throttled_before + 8, what="throttled attempts")
    assert not any(reported(emulator, ids).values())

    emulator.set_faults()                                  # recovered
    results = wait_reported(emulator, ids)
    wait_for(lambda: all(_status(store, m) is InboxStatus.REPORTED for m in ids), what="reported")
    assert {m: len(r) for m, r in results.items()} == {m: 1 for m in ids}
    for mid in ids:
        attempts = store.deliveries(mid)
        assert [a.attempt for a in attempts] == list(range(1, len(attempts) + 1))
        assert attempts[-1].outcome == "delivered" and attempts[-1].http_status is None
        failed = attempts[:-1]
        assert all(a.outcome == "retry" and a.next_attempt_at is not None for a in failed)
        assert {a.http_status for a in failed} == {500, 429}, [(a.http_status, a.error_code) for a in failed]
        assert {a.error_code for a in failed} == {"InternalError.System", "Throttling.User"}
        assert results[mid][0]["CheckResult"] == store.verdict(mid).wire_result
    # counted in the worker, shown by the server: every failed attempt on record, by its code (a worker sends its
    # counts in order, so once the deliveries are counted so are the failures before them)
    metrics = server.service.metrics
    wait_for(lambda: metrics.value("reports", outcome="delivered") == 4, what="the delivered metric")
    on_record = Counter(a.error_code for m in ids for a in store.deliveries(m) if a.outcome == "retry")
    assert on_record["InternalError.System"] >= 8 and on_record["Throttling.User"] >= 1
    for code, failed in on_record.items():
        assert metrics.value("report_failures", code=code) == failed, code


def test_a_rejected_report_is_retried_a_few_times_then_given_up_and_shown(start_server, emulator):
    """DataWorks refusing the parameters (a 4xx that is not throttling) is not retried for ever."""
    from opsguard.pipeline.reporter import ReportPolicy

    # An empty extension code: the emulator answers 400 (ExtensionCode is required).
    server = start_server(service={"extension_code": "",
                                   "report_policy": ReportPolicy(base_seconds=0.02, cap_seconds=0.05,
                                                                 rejected_attempts=3)})
    event = sample("freeze-node", fresh=True)
    assert server.pusher.push(event).status_code == 202
    store = server.service.store
    wait_for(lambda: _status(store, event["id"]) is InboxStatus.UNDELIVERABLE, what="gave up")
    attempts = store.deliveries(event["id"])
    assert [a.outcome for a in attempts] == ["retry", "retry", "gave-up"]
    assert all(a.worker and a.worker.endswith(":report") for a in attempts)
    assert all(a.http_status == 400 for a in attempts)
    page = server.pusher.client.get(f"{server.url}/checks/{event['id']}").text
    assert "undeliverable" in page and "gave-up" in page


def _status(store, message_id):
    """The stored status (None for an unknown message)."""
    row = store.inbox_row(message_id)
    return None if row is None else row.status
