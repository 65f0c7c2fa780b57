"""Snapshot files: written as .partial, published atomically through CURRENT, pruned."""

import pytest

from lineage.errors import SnapshotError
from lineage.snapshot_writer import write_fixture_snapshot
from lineage.snapshots import SnapshotStore, connect_snapshot

FIXTURE = {
    "projects": [{"ProjectId": 1, "ProjectName": "a", "ProjectIdentifier": "a"}],
    "nodes": [{"NodeId": 30, "ProjectId": 1, "SchedulerType": "NORMAL", "BaselineId": 7},
              {"NodeId": 10, "ProjectId": 1, "SchedulerType": "NORMAL"},
              {"NodeId": 20, "ProjectId": 1, "SchedulerType": "NORMAL"}],
    "edges": [[10, 20], [20, 30], [10, 30], [10, 20]],
    "instances": [{"InstanceId": 1, "NodeId": 10, "Bizdate": "2026-11-01", "Status": "SUCCESS",
                   "BeginRunningTime": 0, "FinishTime": 60_000}],
    "baselines": [{"BaselineId": 7, "BaselineName": "b", "Priority": 8, "NodeIds": [20]}],
}


def publish(store):
    partial = store.new_partial()
    write_fixture_snapshot(FIXTURE, partial)
    return store.publish(partial)


def test_no_snapshot_yet_tells_the_user_to_sync(tmp_path):
    store = SnapshotStore(tmp_path)
    assert store.current() is None
    with pytest.raises(SnapshotError, match="opsguard sync"):
        store.require_current()


def test_published_snapshot_is_current_and_dense(tmp_path):
    store = SnapshotStore(tmp_path)
    ref = publish(store)
    assert store.require_current() == ref and ref.path.suffix == ".duckdb"
    con = connect_snapshot(ref.path)
    assert con.execute("select node_id, idx from nodes order by idx").fetchall() == [(10, 0), (20, 1), (30, 2)]
    assert con.execute("select parent_idx, child_idx from edges").fetchall() == [(0, 1), (0, 2), (1, 2)]
    assert con.execute("select * from baseline_nodes").fetchall() == [(7, 20), (7, 30)]
    con.close()


def test_a_partial_file_is_never_current(tmp_path):
    store = SnapshotStore(tmp_path)
    first = publish(store)
    store.new_partial().write_bytes(b"half a snapshot")
    assert store.require_current() == first


def test_prune_keeps_the_newest_and_the_live_one(tmp_path):
    store = SnapshotStore(tmp_path)
    refs = [publish(store) for _ in range(4)]
    stale = store.new_partial()
    stale.write_bytes(b"")
    newer = publish(store)
    removed = store.prune(keep=2)
    assert [r.path for r in store.list()] == [refs[-1].path, newer.path]
    assert not stale.exists() and refs[0].path in removed
    assert store.require_current() == newer


def test_current_naming_a_missing_file_is_a_clear_error(tmp_path):
    store = SnapshotStore(tmp_path)
    store.dir.mkdir(parents=True)
    store.current_file.write_text("gone.duckdb\n")
    with pytest.raises(SnapshotError, match="does not exist"):
        store.current()


def test_a_corrupt_snapshot_file_is_a_snapshot_error(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"not a database at all" * 100)
    with pytest.raises(SnapshotError, match="cannot open snapshot"):
        connect_snapshot(bad)


def test_the_recorded_snapshot_id_is_the_file_id(tmp_path):
    ref = publish(SnapshotStore(tmp_path))
    con = connect_snapshot(ref.path)
    assert con.execute("select snapshot_id from sync_info").fetchone()[0] == ref.id
    con.close()
