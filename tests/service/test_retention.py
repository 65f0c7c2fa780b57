"""Retention: finished checks older than `keep_checks_days` leave the state store; unfinished ones never do."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from lineage.errors import ConfigError
from lineage.records import DATAWORKS_TZ
from opsguard.config import ScheduleSettings, parse_server
from opsguard.metrics import Metrics
from opsguard.retention import PRUNE_EVERY_HOURS, prune_checks
from opsguard.schedule import Schedule
from opsguard.store import (Attempt, DeliveryOutcome, EventKind, InboxRow, InboxStatus, Pruned, RejectedRow,
                            StoreUnavailable, VerdictRow, utcnow)
from tests.service.conftest import reported, sample, wait_for, wait_reported

DAYS_KEPT = 90


def _accept(store, message_id: str, at: datetime, kind: EventKind = EventKind.EXTENSION) -> None:
    status = {EventKind.EXTENSION: InboxStatus.ACCEPTED, EventKind.IGNORED: InboxStatus.IGNORED}[kind]
    row = InboxRow(message_id, at, kind, "freeze-node", 215001, "op", f"ebz-{message_id}", None, status,
                   raw=json.dumps({"id": message_id}), updated_at=at)
    assert store.accept([row]) == [True]


def _judged(store, message_id: str, at: datetime) -> None:
    _accept(store, message_id, at)
    store.claim(EventKind.EXTENSION, InboxStatus.ACCEPTED, "j", at, at + timedelta(seconds=30), 100)
    store.save_verdicts([VerdictRow(message_id, at, "freeze-node", 215001, "op", "FAIL", "FAIL", "FAIL: x", "snap",
                                    0, None, 1.0)], "j")


def _reported(store, message_id: str, at: datetime, outcome: DeliveryOutcome = DeliveryOutcome.DELIVERED) -> None:
    _judged(store, message_id, at)
    (claim,) = store.claim_reports("p", at, at + timedelta(seconds=30), 1)
    retry_at = utcnow() + timedelta(days=1) if outcome is DeliveryOutcome.RETRY else None
    store.finish_reports([Attempt(message_id, claim.attempt, outcome, at, retry_at)], "p")


def test_finished_checks_past_the_cutoff_go_with_their_verdicts_and_attempts(store):
    now = utcnow()
    old, recent = now - timedelta(days=DAYS_KEPT + 10), now - timedelta(days=1)
    _reported(store, "old-reported", old)
    _accept(store, "old-ignored", old, EventKind.IGNORED)
    _accept(store, "old-accepted", old)                        # never judged: still to answer
    _reported(store, "old-retried", old, DeliveryOutcome.RETRY)  # judged, its result still retried
    _reported(store, "recent-reported", recent)
    store.record_rejected([RejectedRow(at, 401, "unauthenticated", "bad signature") for at in (old, recent)])

    pruned = prune_checks(store, DAYS_KEPT, now=now)

    assert pruned == Pruned(inbox=2, verdicts=1, deliveries=1, rejected=1)
    assert store.inbox_row("old-reported") is None and store.inbox_row("old-ignored") is None
    assert store.verdict("old-reported") is None and store.deliveries("old-reported") == []
    assert store.backlog() == {"accepted": 1, "judged": 1}
    assert store.verdict("old-retried") is not None and len(store.deliveries("old-retried")) == 1
    assert store.verdict("recent-reported") is not None and len(store.deliveries("recent-reported")) == 1
    assert [r.received_at for r in store.rejected()] == [recent]
    assert prune_checks(store, DAYS_KEPT, now=now) == Pruned()   # nothing left to drop
    _accept(store, "old-reported", now)                          # a dropped id is a new message should it come again


def test_a_prune_drops_the_oldest_first_one_batch_a_transaction(store):
    now = utcnow()
    old = now - timedelta(days=DAYS_KEPT + 10)
    ids = [f"old-{i}" for i in range(5)]
    for i, message_id in enumerate(ids):                           # old-0 is the oldest
        _reported(store, message_id, old + timedelta(minutes=i))
    store.record_rejected([RejectedRow(old + timedelta(minutes=i), 401, "unauthenticated", "x") for i in range(3)])
    cutoff = now - timedelta(days=DAYS_KEPT)

    assert store.prune(cutoff, 2) == Pruned(inbox=2, verdicts=2, deliveries=2, rejected=2)
    assert [store.inbox_row(m) is None for m in ids] == [True, True, False, False, False]
    assert all(store.verdict(m) is not None and store.deliveries(m) for m in ids[2:])
    steps: list[tuple[str, int]] = []
    pruned = prune_checks(store, DAYS_KEPT, now=now, batch=2, on_pruned=lambda t, n: steps.append((t, n)))
    assert pruned == Pruned(inbox=3, verdicts=3, deliveries=3, rejected=1)
    assert [n for t, n in steps if t == "inbox"] == [2, 1]           # 2 checks, then the last one
    assert all(store.inbox_row(m) is None for m in ids) and store.rejected() == []


def test_a_running_server_forgets_old_checks_and_answers_a_forgotten_id_anew(start_server, emulator):
    server = start_server(keep_checks_days=float(DAYS_KEPT))
    envelopes = [sample("freeze-node", fresh=True), sample("backfill-data", fresh=True)]
    for envelope in envelopes:
        assert server.pusher.push(envelope).status_code == 202
    ids = [e["id"] for e in envelopes]
    wait_reported(emulator, ids, server=server)
    assert "state-prune" in {job["id"] for job in server.service.schedule.jobs()}

    assert server.service.prune_checks() == Pruned()                          # all younger than 90 days
    pruned = server.service.prune_checks(now=utcnow() + timedelta(days=DAYS_KEPT + 1))

    assert (pruned.inbox, pruned.verdicts, pruned.deliveries) == (2, 2, 2)
    gone = server.pusher.client.get(f"{server.url}/checks/{ids[0]}")
    assert gone.status_code == 404 and "keep_checks_days" in gone.text
    metrics = server.pusher.client.get(f"{server.url}/metrics").text
    assert 'opsguard_state_pruned_rows_total{table="verdicts"} 2.0' in metrics
    again = server.pusher.push(envelopes[0])
    assert again.status_code == 202 and again.json()["status"] == "accepted"
    wait_for(lambda: len(reported(emulator, [ids[0]])[ids[0]]) == 2, what="the second result")   # judged again
    wait_reported(emulator, [ids[0]], server=server)                            # and stored again
    assert server.service.store.verdict(ids[0]) is not None


def test_keep_checks_days_zero_keeps_everything_and_schedules_no_prune(start_server, emulator):
    server = start_server(keep_checks_days=0.0)
    envelope = sample("freeze-node", fresh=True)
    assert server.pusher.push(envelope).status_code == 202
    wait_reported(emulator, [envelope["id"]], server=server)
    assert "state-prune" not in {job["id"] for job in server.service.schedule.jobs()}
    assert server.service.prune_checks(now=utcnow() + timedelta(days=10_000)) is None
    assert server.service.store.verdict(envelope["id"]) is not None


def test_keep_checks_days_is_read_from_the_server_table():
    assert parse_server({}).keep_checks_days == 90.0
    assert parse_server({"keep_checks_days": 7}).keep_checks_days == 7.0
    with pytest.raises(ConfigError, match="server.keep_checks_days: must not be negative, not -1"):
        parse_server({"keep_checks_days": -1})
    with pytest.raises(ConfigError, match="server.keep_checks_days: must be a number, not a string"):
        parse_server({"keep_checks_days": "90d"})


def test_the_prune_runs_a_minute_after_start_then_every_six_hours_and_a_failure_is_logged(data_dir, store, caplog):
    calls: list[int] = []

    def failing_prune():
        calls.append(1)
        raise StoreUnavailable("the state store cannot be written: disk full")

    freshness = Schedule(lambda: False, store, data_dir / "snapshots",
                         ScheduleSettings(refresh_minutes=0, full_sync_at=""), tz=DATAWORKS_TZ, poll_seconds=0,
                         metrics=Metrics(), prune_state=failing_prune)
    freshness.start()
    try:
        job = freshness._scheduler.get_job("state-prune")
        assert job.trigger.interval == timedelta(hours=PRUNE_EVERY_HOURS)
        assert 50 <= (job.next_run_time - datetime.now(UTC)).total_seconds() <= 60
        with caplog.at_level(logging.ERROR, logger="opsguard.schedule"):
            job.func()                                                          # what the scheduler runs
    finally:
        freshness.stop()
    assert calls == [1]
    assert "dropping old checks from the state store failed: the state store cannot be written: disk full" in caplog.text
