"""Snapshot files: written as .partial, published atomically through CURRENT, pruned."""

import os
import subprocess
import sys
from pathlib import Path

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


def partial_of_a_dead_sync(data_dir) -> Path:
    """A partial file written by another process that then exited without publishing (its lock died with it)."""
    code = ("import sys; from lineage.snapshots import SnapshotStore; "
            "p = SnapshotStore(sys.argv[1]).new_partial(); p.write_bytes(b'half'); "
            "p.with_name(p.name + '.wal').write_bytes(b'log'); print(p)")
    done = subprocess.run([sys.executable, "-c", code, str(data_dir)], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    return Path(done.stdout.strip())


def test_prune_keeps_the_newest_and_the_live_one(tmp_path):
    store = SnapshotStore(tmp_path)
    refs = [publish(store) for _ in range(4)]
    stale = partial_of_a_dead_sync(tmp_path)
    newer = publish(store)
    removed = store.prune(keep=2)
    assert [r.path for r in store.list()] == [refs[-1].path, newer.path]
    assert not stale.exists() and refs[0].path in removed
    assert store.require_current() == newer
    assert sorted(p.name for p in store.dir.iterdir()) == sorted(["CURRENT", refs[-1].path.name, newer.path.name])


def test_partials_of_dead_syncs_go_with_their_wal_and_lock_files(tmp_path):
    store = SnapshotStore(tmp_path)
    stale = partial_of_a_dead_sync(tmp_path)
    assert {p.name for p in store.dir.iterdir()} == {stale.name, stale.name + ".wal", stale.name + ".lock"}
    removed = store.clean_partials()
    assert {p.name for p in removed} == {stale.name, stale.name + ".wal", stale.name + ".lock"}
    assert not list(store.dir.iterdir())


def test_the_partial_of_a_sync_still_running_elsewhere_is_never_removed(tmp_path):
    running = SnapshotStore(tmp_path)  # another sync: its own store, its lock held
    partial = running.new_partial()
    partial.write_bytes(b"being written")
    cleaner = SnapshotStore(tmp_path)
    publish(cleaner)  # a newer snapshot published meanwhile
    assert cleaner.clean_partials() == [] and cleaner.prune(keep=1) == []
    assert partial.exists()
    running.release(partial)  # that sync died: its lock is free now
    partial.with_name(partial.name + ".lock").write_text("")  # (as a dead process leaves it)
    assert partial in cleaner.clean_partials() and not partial.exists()


def test_a_partial_left_by_an_older_version_goes_once_a_newer_snapshot_exists(tmp_path):
    store = SnapshotStore(tmp_path)
    store.dir.mkdir(parents=True)
    legacy = store.dir / "20000101T000000.000000Z.duckdb.partial"  # no lock file: written before locks existed
    legacy.write_bytes(b"")
    assert store.clean_partials() == [] and legacy.exists()
    publish(store)
    assert legacy in store.clean_partials() and not legacy.exists()


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
