"""The state store's lifecycle on both engines (SQLite and a real PostgreSQL): accept once, claim with
leases, lose a claim to another worker, judge → report, attempts recorded before they leave, prune."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from opsguard.store import (Attempt, DeliveryOutcome, EventKind, InboxRow, InboxStatus, OverlayRow, StoreConfigError,
                            VerdictRow, open_store, utcnow)
from opsguard.store.migrations import latest_version


def inbox(message_id: str, *, kind: EventKind = EventKind.EXTENSION, at=None, biz: str | None = None) -> InboxRow:
    now = at or utcnow()
    return InboxRow(message_id, now, kind, "freeze-node", 215001, "op", biz, None, InboxStatus.ACCEPTED,
                    raw=json.dumps({"id": message_id}), updated_at=now)


def verdict(message_id: str, result: str = "FAIL", at=None) -> VerdictRow:
    return VerdictRow(message_id, at or utcnow(), "freeze-node", 215001, "op", result, result, f"{result}: tip", "s1",
                      0, None, 1.5, json.dumps([{"name": "downstream-blocked", "status": result, "message": "m"}]),
                      ",downstream-blocked,", ",700000000101,", json.dumps({"result": result}))


def test_a_message_is_stored_once_and_its_id_is_its_key(store):
    assert store.accept([inbox("m1"), inbox("m2")]) == [True, True]
    assert store.accept([inbox("m1"), inbox("m3")]) == [False, True]
    row = store.inbox_row("m1")
    assert row.status is InboxStatus.ACCEPTED and row.received_at.tzinfo is not None and row.project_id == 215001
    assert store.backlog() == {"accepted": 3, "judged": 0}


def test_claims_are_exclusive_until_their_lease_lapses(store):
    store.accept([inbox(f"m{i}", at=utcnow() + timedelta(milliseconds=i)) for i in range(5)])
    now = utcnow()
    first = store.claim(EventKind.EXTENSION, InboxStatus.ACCEPTED, "w1", now, now + timedelta(seconds=30), 3)
    assert [r.message_id for r in first] == ["m0", "m1", "m2"]                     # oldest first
    second = store.claim(EventKind.EXTENSION, InboxStatus.ACCEPTED, "w2", now, now + timedelta(seconds=30), 10)
    assert [r.message_id for r in second] == ["m3", "m4"]                          # never the same row twice
    assert not store.has_work(EventKind.EXTENSION, InboxStatus.ACCEPTED, now)
    later = now + timedelta(seconds=31)                                             # w1 died: its lease lapsed
    assert store.renew("w2", later + timedelta(seconds=30)) == 2                   # w2 is alive and renews
    taken = store.claim(EventKind.EXTENSION, InboxStatus.ACCEPTED, "w3", later, later + timedelta(seconds=30), 10)
    assert [r.message_id for r in taken] == ["m0", "m1", "m2"]
    # w1 comes back and tries to finish what it had: nothing of it is stored
    assert store.save_verdicts([verdict("m0")], "w1") == [False]
    assert store.verdict("m0") is None
    assert store.save_verdicts([verdict("m0")], "w3") == [True]
    assert store.inbox_row("m0").status is InboxStatus.JUDGED


def test_a_report_attempt_is_recorded_before_it_leaves_and_a_dead_workers_attempt_becomes_unknown(store):
    store.accept([inbox("m1")])
    now = utcnow()
    store.claim(EventKind.EXTENSION, InboxStatus.ACCEPTED, "judge", now, now + timedelta(seconds=30), 1)
    store.save_verdicts([verdict("m1", "FAIL", at=now)], "judge")
    claims = store.claim_reports("poster-1", now, now + timedelta(seconds=30), 10)
    assert [(c.message_id, c.attempt, c.check_result) for c in claims] == [("m1", 1, "FAIL")]
    (attempt,) = store.deliveries("m1")
    assert attempt.outcome == "sending" and attempt.worker == "poster-1"           # on record before the call
    later = now + timedelta(seconds=31)                                              # poster-1 was killed mid-call
    again = store.claim_reports("poster-2", later, later + timedelta(seconds=30), 10)
    assert [(c.attempt, c.check_result) for c in again] == [(2, "FAIL")]           # the stored verdict again
    assert [d.outcome for d in store.deliveries("m1")] == ["unknown", "sending"]
    store.finish_reports([Attempt("m1", 2, DeliveryOutcome.DELIVERED, utcnow())], "poster-2")
    assert store.inbox_row("m1").status is InboxStatus.REPORTED
    assert [d.outcome for d in store.deliveries("m1")] == ["unknown", "delivered"]
    assert store.backlog() == {"accepted": 0, "judged": 0}


def test_a_failed_attempt_is_due_again_after_its_backoff(store):
    store.accept([inbox("m1")])
    now = utcnow()
    store.claim(EventKind.EXTENSION, InboxStatus.ACCEPTED, "j", now, now + timedelta(seconds=30), 1)
    store.save_verdicts([verdict("m1", at=now)], "j")
    (claim,) = store.claim_reports("p", now, now + timedelta(seconds=30), 1)
    due = now + timedelta(seconds=5)
    store.finish_reports([Attempt("m1", 1, DeliveryOutcome.RETRY, now, due, 503, "ServiceUnavailable")], "p")
    assert not store.claim_reports("p", now + timedelta(seconds=1), now + timedelta(seconds=31), 1)
    (retry,) = store.claim_reports("p", due, due + timedelta(seconds=30), 1)
    assert retry.attempt == 2
    store.finish_reports([Attempt("m1", 2, DeliveryOutcome.GAVE_UP, due, None, 400, "Invalid")], "p")
    assert store.inbox_row("m1").status is InboxStatus.UNDELIVERABLE


def test_node_changes_are_applied_in_order_or_discarded(store):
    store.accept([inbox("c1", kind=EventKind.NODE_CHANGE), inbox("c2", kind=EventKind.NODE_CHANGE)])
    now = utcnow()
    rows = store.claim(EventKind.NODE_CHANGE, InboxStatus.ACCEPTED, "n", now, now + timedelta(seconds=30), 10)
    assert len(rows) == 2
    change = OverlayRow(7, "updated", 215001, 123, now, "c1", {"node_id": 7, "scheduler_type": "PAUSE"})
    assert store.finish_node_change("c1", "n", change, None, now)
    assert store.finish_node_change("c2", "n", None, "a development-environment change", now)
    assert store.inbox_row("c2").status is InboxStatus.DISCARDED and "development" in store.inbox_row("c2").reason
    (applied,) = store.overlay_since(0)
    assert applied.seq == store.overlay_version() > 0 and applied.node["scheduler_type"] == "PAUSE"
    assert store.overlay_since(applied.seq) == []
    assert store.prune_overlay(now + timedelta(seconds=1)) == 1 and store.overlay_since(0) == []


def test_retention_drops_finished_messages_with_their_verdicts_and_attempts_only(store):
    old = utcnow() - timedelta(days=100)
    store.accept([inbox("done", at=old), inbox("open", at=old)])
    store.claim(EventKind.EXTENSION, InboxStatus.ACCEPTED, "j", old, old + timedelta(seconds=30), 1)
    store.save_verdicts([verdict("done", at=old)], "j")
    store.claim_reports("p", old, old + timedelta(seconds=30), 1)
    store.finish_reports([Attempt("done", 1, DeliveryOutcome.DELIVERED, old)], "p")
    pruned = store.prune(utcnow() - timedelta(days=90), 1000)
    assert (pruned.inbox, pruned.verdicts, pruned.deliveries) == (1, 1, 1)
    assert store.inbox_row("done") is None and store.verdict("done") is None and store.deliveries("done") == []
    assert store.inbox_row("open") is not None                                     # unfinished stays, however old


def test_the_schema_is_migrated_once_and_a_newer_one_is_refused(tmp_path, state_url, store):
    again = open_store(data_dir=tmp_path, state_url=state_url)                      # a second start: nothing to do
    from opsguard.store.migrations import migrate

    assert migrate(again.connector) == []
    with again.connector.write() as s:
        s.run("store_migrations_record", {"version": latest_version() + 1, "applied_at": utcnow()})
    with pytest.raises(StoreConfigError, match="newer than this opsguard"):
        migrate(again.connector)
    again.close()
