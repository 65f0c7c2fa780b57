"""The accept journal: entries on disk before they are acknowledged, replayed after a crash, deleted once stored."""

from __future__ import annotations

import json
import os

import pytest

from opsguard.accept_journal import AcceptJournal, JournalError, decode_row, encode_row, journal_dir, restore
from opsguard.state import EventKind, InboxRow, InboxStatus, StateStore, utcnow
from opsguard.state_writer import Accept, AcceptOutcome, StateWriter


def row(message_id: str) -> InboxRow:
    now = utcnow()
    return InboxRow(message_id, now, EventKind.EXTENSION, "freeze-node", 215001, "op", "ebz-1", "dm-1",
                    InboxStatus.ACCEPTED, signature="sig", raw=json.dumps({"id": message_id, "note": "a\nb"}),
                    updated_at=now)


def segments(directory):
    return sorted(p.name for p in directory.glob("*.jsonl"))


def test_an_entry_round_trips_every_field():
    original = row("m-1")
    assert decode_row(encode_row(original)) == original
    assert b"\n" not in encode_row(original)           # one line, even with newlines in the raw body
    with pytest.raises(ValueError, match="not a journal entry"):
        decode_row(b'{"v": 1, "message_id": "m"}')
    with pytest.raises(ValueError, match="version"):
        decode_row(b'{"v": 99}')


def test_acknowledged_entries_survive_a_process_that_never_stopped(tmp_path):
    journal = AcceptJournal(tmp_path / "j").start()
    tickets = [journal.append(encode_row(row(f"m-{i}"))).result(5) for i in range(3)]
    assert journal.pending == 3 and len({t.segment for t in tickets}) == 1
    # no stop(): as after kill -9, a new journal on the directory finds the entries
    again = AcceptJournal(tmp_path / "j")
    assert [decode_row(e).message_id for e in again.replay()] == ["m-0", "m-1", "m-2"]
    journal.stop()


def test_a_torn_last_line_is_skipped_and_complete_ones_kept(tmp_path):
    directory = tmp_path / "j"
    journal = AcceptJournal(directory).start()
    journal.append(encode_row(row("whole"))).result(5)
    journal.stop()
    path = directory / segments(directory)[0]
    with open(path, "ab") as f:
        f.write(encode_row(row("torn"))[:40])
    assert [decode_row(e).message_id for e in AcceptJournal(directory).replay()] == ["whole"]


def test_segments_roll_and_are_deleted_once_every_entry_is_stored(tmp_path):
    directory = tmp_path / "j"
    journal = AcceptJournal(directory, segment_bytes=1).start()   # every write starts a new segment
    first = journal.append(encode_row(row("a"))).result(5)
    second = journal.append(encode_row(row("b"))).result(5)
    assert first.segment != second.segment and len(segments(directory)) == 2
    journal.stored(second)           # the current segment is kept while it may take appends...
    journal.stored(first)            # ...a sealed one goes once all of it is stored
    assert segments(directory) == [f"{second.segment:012d}.jsonl"]
    journal.stop()                   # stopping seals the last one: all stored, so it goes too
    assert segments(directory) == []


def test_a_stopped_journal_refuses_entries_and_a_multi_line_entry_is_refused(tmp_path):
    journal = AcceptJournal(tmp_path / "j").start()
    with pytest.raises(ValueError, match="one line"):
        journal.append(b"a\nb").result(5)
    journal.stop()
    with pytest.raises(JournalError, match="stopped"):
        journal.append(b"{}").result(5)


def test_a_failed_write_is_not_acknowledged_and_later_entries_go_to_a_new_segment(tmp_path):
    directory = tmp_path / "j"
    journal = AcceptJournal(directory).start()
    first = journal.append(encode_row(row("before"))).result(5)
    os.close(journal._current.fd)             # the disk goes away under the open segment
    with pytest.raises(JournalError, match="cannot write the accept journal"):
        journal.append(encode_row(row("lost"))).result(5)
    after = journal.append(encode_row(row("after"))).result(5)
    assert after.segment > first.segment
    replayed = [decode_row(e).message_id for e in AcceptJournal(directory).replay()]
    assert replayed == ["before", "after"]
    journal.stop()


def test_each_synced_group_reports_how_long_the_disk_took_and_a_failed_one_does_not(tmp_path):
    syncs: list[float] = []
    journal = AcceptJournal(tmp_path / "j", on_sync=syncs.append).start()
    journal.append(encode_row(row("a"))).result(5)
    journal.append(encode_row(row("b"))).result(5)
    assert len(syncs) == 2 and all(0 < seconds < 5 for seconds in syncs)
    os.close(journal._current.fd)
    with pytest.raises(JournalError):
        journal.append(encode_row(row("lost"))).result(5)
    assert len(syncs) == 2
    journal.stop()


def test_restore_stores_what_is_missing_skips_what_is_stored_and_forgets_the_journal(tmp_path):
    state_file = tmp_path / "state.duckdb"
    directory = journal_dir(state_file)
    assert directory.name == "state.accepts"
    journal = AcceptJournal(directory).start()
    for message_id in ("stored", "missing-1", "missing-2"):
        journal.append(encode_row(row(message_id))).result(5)
    store = StateStore(state_file)
    writer = StateWriter(store).start()
    assert writer.write(Accept(row("stored"))).outcome is AcceptOutcome.NEW   # committed before the "crash"

    after_crash = AcceptJournal(directory)
    assert restore(after_crash, writer) == 2
    assert {r.message_id for r in store.unfinished()} == {"stored", "missing-1", "missing-2"}
    assert store.inbox_row("missing-1").raw == row("missing-1").raw
    assert segments(directory) == []
    assert restore(AcceptJournal(directory), writer) == 0     # nothing left to replay
    writer.stop()
    store.close()
    journal.stop()
