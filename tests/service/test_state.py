"""The state database and its writer: group commit, deduplication, rechecks, failures kept to their caller."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta

import duckdb
import pytest

from opsguard.state import DISABLED_COMPRESSION, EventKind, InboxRow, InboxStatus, OverlayRow, StateStore, \
    StatusChange, VerdictRow, utcnow
from opsguard.state_writer import Accept, AcceptOutcome, Flush, PruneOverlay, SaveVerdict, StateWriter


def row(message_id: str, kind: EventKind = EventKind.EXTENSION, biz: str | None = "ebz-1") -> InboxRow:
    status = {EventKind.EXTENSION: InboxStatus.ACCEPTED, EventKind.NODE_CHANGE: InboxStatus.APPLIED,
              EventKind.IGNORED: InboxStatus.IGNORED}[kind]
    return InboxRow(message_id, utcnow(), kind, "freeze-node", 215001, "op", biz, None, status,
                    raw=json.dumps({"id": message_id}), signature=f"sig-{message_id}")


def verdict(message_id: str, generation: int = 1, result: str | None = "FAIL") -> VerdictRow:
    return VerdictRow(message_id, generation, utcnow(), "freeze-node", 215001, "op", result, "FAIL", "FAIL: x",
                      "snap", 0, None, 1.5, json.dumps({"result": result}))


def test_a_message_id_is_stored_once_and_later_copies_are_duplicates(writer):
    first = writer.write(Accept(row("m1")))
    again = writer.write(Accept(row("m1")))
    assert first.outcome is AcceptOutcome.NEW and again.outcome is AcceptOutcome.DUPLICATE
    assert again.row.received_at == first.row.received_at


def test_copies_in_the_same_batch_are_deduplicated_too(writer):
    futures = [writer.submit(Accept(row("same"))) for _ in range(20)]
    outcomes = [f.result(10).outcome for f in futures]
    assert outcomes.count(AcceptOutcome.NEW) == 1 and outcomes.count(AcceptOutcome.DUPLICATE) == 19


def test_explicit_recheck_starts_a_new_generation(writer):
    writer.write(Accept(row("m1")))
    recheck = writer.write(Accept(row("m1"), recheck=True))
    assert recheck.outcome is AcceptOutcome.RECHECK and recheck.row.generation == 2
    assert writer.store.inbox_row("m1").generation == 2 and writer.store.inbox_row("m1").recheck
    # a recheck flag on an unknown id is simply a new message
    assert writer.write(Accept(row("m2"), recheck=True)).outcome is AcceptOutcome.NEW


def test_a_stale_generation_never_moves_the_status_back(writer):
    writer.write(Accept(row("m1")))
    writer.write(Accept(row("m1"), recheck=True))
    writer.write(SaveVerdict(verdict("m1", 1), StatusChange("m1", 1, InboxStatus.REPORTED, utcnow())))
    assert writer.store.inbox_row("m1").status is InboxStatus.ACCEPTED


def test_a_failing_operation_fails_alone_and_the_rest_of_its_batch_commits(writer):
    futures = [writer.submit(Accept(row(f"ok-{i}"))) for i in range(5)]
    bad = writer.submit(SaveVerdict(verdict("ok-0", result=None), StatusChange("ok-0", 1, InboxStatus.EVALUATED,
                                                                                 utcnow())))
    futures += [writer.submit(Accept(row(f"ok-{i}"))) for i in range(5, 10)]
    assert all(f.result(10).outcome is AcceptOutcome.NEW for f in futures)
    with pytest.raises(duckdb.Error):
        bad.result(10)
    assert len(writer.store.recent_checks(100)) == 10


def test_overlay_keeps_the_newest_record_per_node_and_prunes_what_a_snapshot_covers(writer):
    now = utcnow()

    def change(mid, modify, when):
        return Accept(row(mid, EventKind.NODE_CHANGE), overlay=OverlayRow(7, "updated", 1, modify, when, mid,
                                                                          {"node_id": 7, "owner_id": mid}))

    writer.write(change("new", 20, now))
    writer.write(change("old", 10, now + timedelta(seconds=1)))
    [kept] = writer.store.overlay()
    assert kept.message_id == "new" and kept.node["owner_id"] == "new"
    writer.write(PruneOverlay(now + timedelta(seconds=5)))
    assert writer.store.overlay() == []


def test_everything_waits_for_the_commit_and_survives_reopening(tmp_path):
    store = StateStore(tmp_path / "state.duckdb")
    writer = StateWriter(store).start()
    writer.write(Accept(row("durable")))
    writer.stop()
    store.close()
    reopened = StateStore(tmp_path / "state.duckdb")
    try:
        assert reopened.inbox_row("durable").status is InboxStatus.ACCEPTED
        assert [u.message_id for u in reopened.unfinished()] == ["durable"]
    finally:
        reopened.close()


def test_one_batch_many_rows_placeholders_only(writer):
    """Batches of hundreds of rows go through one statement with every value as a parameter."""
    futures = [writer.submit(Accept(row(f"batch-{i}' OR 1=1 --"))) for i in range(300)]
    assert all(f.result(10).outcome is AcceptOutcome.NEW for f in futures)
    assert writer.store.inbox_row("batch-7' OR 1=1 --") is not None
    assert writer.batches < 300


def test_under_load_the_writer_lingers_for_company_until_someone_waits(tmp_path):
    store = StateStore(tmp_path / "state.duckdb")
    writer = StateWriter(store, linger_seconds=120).start()
    try:
        for i in range(5):   # back to back: the writer learns that work is coming
            writer.write(Accept(row(f"warm-{i}")))
        before = writer.batches
        journaled = [writer.submit(Accept(row(f"later-{i}"), journaled=True)) for i in range(20)]
        _until(writer._queue.empty)   # taken, and nobody waits for journaled rows: the writer lingers
        assert not any(f.done() for f in journaled)
        writer.submit(Flush()).result(30)   # until someone waits
        assert all(f.result(0).outcome is AcceptOutcome.NEW for f in journaled)
        assert writer.batches == before + 1
        last = writer.submit(Accept(row("last"), journaled=True))
        _until(writer._queue.empty)
        writer.stop(timeout=30)   # so does stopping: what is queued is committed
        assert not writer._thread.is_alive()
        assert last.result(0).outcome is AcceptOutcome.NEW
    finally:
        writer.stop()
        store.close()


def _until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_the_writer_cursors_checkpoint_without_zstd(writer):
    # checkpoints run on the writer cursors; zstd there held every commit three times as long
    setting = writer._con.execute("SELECT current_setting('disabled_compression_methods')").fetchone()[0]
    assert setting.lower() == DISABLED_COMPRESSION


def test_the_writer_thread_can_run_below_the_processs_cpu_priority(tmp_path):
    store = StateStore(tmp_path / "state.duckdb")
    writer = StateWriter(store, nice=4).start()
    try:
        writer.write(Accept(row("m1")))   # the thread has run (and lowered its priority first)
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, writer._thread.native_id) == min(ours + 4, 19)
        assert os.getpriority(os.PRIO_PROCESS, 0) == ours    # the rest of the process is untouched
    finally:
        writer.stop()
        store.close()
