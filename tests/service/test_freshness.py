"""Freshness: node-change events reach the very next check; a new snapshot is swapped in without a
restart; scheduled syncs never overlap."""

from __future__ import annotations

import copy
import threading
import time

import pytest

from opsguard.schedule import Freshness, SyncBusy, sync_lock
from lineage.live import GraphHolder
from opsguard.metrics import Metrics
from opsguard.config import ScheduleSettings
from lineage.records import DATAWORKS_TZ
from lineage.snapshot_writer import write_fixture_snapshot
from lineage.snapshots import SnapshotStore
from tests.service.conftest import renamed, sample, wait_for, wait_reported

NEW_NODE = 700000000299


def _verdict(server, emulator, envelope):
    assert server.pusher.push(envelope).status_code == 202
    wait_reported(emulator, [envelope["id"]], server=server)
    return server.service.store.verdict(envelope["id"]).data()


def _graph(server):
    """The server process's graph with every node change it has noted: the overlay is rebuilt in the
    background, so `current()` may still lag right after a verdict that the worker process judged."""
    graphs = server.service.graphs
    return graphs.graph_for(graphs.version)


def _node_change(code: str, node_id: int, **record):
    event = sample("node-change-updated", fresh=True)
    event["type"] = {"created": "dataworks:NodeChange:NodeChangeCreated",
                     "deleted": "dataworks:NodeChange:NodeChangeDeleted"}.get(code, event["type"])
    event["data"].update(eventCode=f"node-change-{code}", nodeId=node_id, **record)
    return event


def test_a_node_created_after_the_snapshot_is_known_to_the_next_check(start_server, emulator):
    server = start_server()
    freeze_new = renamed(sample("freeze-node", fresh=True), nodeIds=[NEW_NODE])
    before = _verdict(server, emulator, freeze_new)
    assert _status(before, "unknown-nodes") == "WARN"
    created = _node_change("created", NEW_NODE, nodeName="dws_new_node_1d", schedulerType="NORMAL", priority=1)
    assert server.pusher.push(created).json()["status"] == "applied"
    after = _verdict(server, emulator, renamed(freeze_new))
    assert _status(after, "unknown-nodes") == "OK"
    assert after["overlay"]["nodes"] == [NEW_NODE]
    assert _graph(server).graph.node(NEW_NODE).node_name == "dws_new_node_1d"


def test_a_freeze_below_the_hub_counts_as_frozen_in_the_next_check(start_server, emulator):
    server = start_server()
    before = _verdict(server, emulator, sample("freeze-node", fresh=True))["impact"]
    frozen = _node_change("updated", 700000000205, nodeName="dwd_trade_order_detail_di", schedulerType="PAUSE")
    server.pusher.push(frozen)
    after = _verdict(server, emulator, sample("freeze-node", fresh=True))["impact"]
    assert after["frozen_downstream_count"] == before["frozen_downstream_count"] + 1
    assert after["live_downstream_count"] == before["live_downstream_count"] - 1


def test_an_undeployed_node_leaves_the_graph_for_the_next_check(start_server, emulator):
    server = start_server()
    deleted = _node_change("deleted", 700000000205)
    server.pusher.push(deleted)
    verdict = _verdict(server, emulator, renamed(sample("freeze-node", fresh=True), nodeIds=[700000000205]))
    assert _status(verdict, "unknown-nodes") == "WARN"
    assert 700000000205 not in _graph(server).graph


def test_an_older_node_record_does_not_undo_a_newer_one(start_server, emulator):
    server = start_server()
    newer = _node_change("updated", 700000000205, schedulerType="PAUSE", modifyTime=2_000_000_000_000)
    older = _node_change("updated", 700000000205, schedulerType="NORMAL", modifyTime=1_000_000_000_000)
    server.pusher.push(newer)
    server.pusher.push(older)          # EventBridge delivered them out of order
    _verdict(server, emulator, sample("freeze-node", fresh=True))
    assert _graph(server).graph.node(700000000205).scheduler_type == "PAUSE"
    [row] = server.service.store.overlay()
    assert row.modify_time == 2_000_000_000_000 and row.node["scheduler_type"] == "PAUSE"


def test_a_new_snapshot_is_swapped_in_and_the_changes_it_covers_are_dropped(start_server, emulator, data_dir,
                                                                            demo_workspace):
    server = start_server(graph_poll_seconds=0.2)
    server.pusher.push(_node_change("updated", 700000000205, schedulerType="PAUSE"))
    _verdict(server, emulator, sample("freeze-node", fresh=True))
    old = _graph(server)
    assert old.overlay_nodes == (700000000205,)
    fixture = copy.deepcopy(demo_workspace)
    for node in fixture["nodes"]:
        if node["NodeId"] == 700000000205:
            node["OwnerId"] = "new-owner"
    store = SnapshotStore(data_dir)
    partial = store.new_partial()
    write_fixture_snapshot(fixture, partial)           # its sync starts after the change was received
    ref = store.publish(partial)
    ready = wait_for(lambda: (r := server.pusher.client.get(f"{server.url}/readyz").json())["snapshot"]["id"]
                     == ref.id and r, timeout=10, what="swap to the new snapshot")
    assert ready["overlay"] == {"version": ready["overlay"]["version"], "nodes": 0}
    live = server.service.graphs.current()
    assert live.graph.node(700000000205).owner_id == "new-owner"
    assert live.graph.node(700000000205).scheduler_type == "NORMAL"     # the snapshot's word now
    wait_for(lambda: server.service.store.overlay() == [], what="overlay pruned in the state database")
    assert old.graph.node(700000000205).scheduler_type == "PAUSE"       # a held graph never changes
    # The worker processes load the new snapshot on their own clock (a poll, nudged by the server's swap):
    # events keep being judged meanwhile, and soon on the new snapshot.
    verdict = wait_for(lambda: (v := _verdict(server, emulator, sample("freeze-node", fresh=True)))["snapshot"]["id"]
                       == live.graph.snapshot_id and v, timeout=20, what="a verdict judged on the new snapshot")
    assert ref.id.startswith(verdict["snapshot"]["id"])


def test_scheduled_syncs_never_overlap_and_missed_runs_coalesce(data_dir):
    calls: list[bool] = []
    gate = threading.Event()

    def slow_sync(full: bool):
        calls.append(full)
        gate.wait(5)
        raise RuntimeError("emulated failure: the live snapshot stays")

    holder = GraphHolder(SnapshotStore(data_dir))
    metrics = Metrics()
    freshness = Freshness(holder, data_dir / "snapshots", ScheduleSettings(refresh_minutes=0.01, full_sync_at="02:30"),
                          tz=DATAWORKS_TZ, poll_seconds=0.2, metrics=metrics, sync_runner=slow_sync)
    freshness.start()
    try:
        jobs = {job.id: job for job in freshness._scheduler.get_jobs()}
        assert set(jobs) == {"snapshot-poll", "refresh-sync", "full-sync"}
        assert all(j.max_instances == 1 and j.coalesce for j in jobs.values())
        assert str(jobs["full-sync"].trigger).startswith("cron[hour='2', minute='30']")
        wait_for(lambda: calls, timeout=10, what="the scheduled refresh")
        assert freshness.run_sync_now(full=True) is False             # the scheduled one still runs
        assert metrics.syncs.value(kind="full", outcome="skipped") == 1
        gate.set()
        wait_for(lambda: metrics.syncs.value(kind="refresh", outcome="failed") >= 1, what="failure recorded")
        assert holder.current() is None or holder.current().snapshot.id in (data_dir / "snapshots/CURRENT").read_text()
    finally:
        gate.set()
        freshness.stop()


def test_the_sync_lock_is_also_a_file_lock_for_other_processes(data_dir):
    import fcntl
    import os

    lock = data_dir / "snapshots" / ".sync.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)                               # as another process would hold it
        with pytest.raises(SyncBusy, match="another process"):
            with sync_lock(data_dir / "snapshots"):
                pass
    finally:
        os.close(fd)
    with sync_lock(data_dir / "snapshots"):
        with pytest.raises(SyncBusy, match="already running"):
            with sync_lock(data_dir / "snapshots"):
                pass


def test_a_successful_scheduled_sync_swaps_the_graph_at_once(data_dir, demo_workspace):
    store = SnapshotStore(data_dir)
    holder = GraphHolder(store)
    holder.refresh()
    first = holder.current()

    def sync(full: bool):
        partial = store.new_partial()
        write_fixture_snapshot(demo_workspace, partial)
        return type("Result", (), {"snapshot": store.publish(partial)})()

    freshness = Freshness(holder, store.dir, ScheduleSettings(refresh_minutes=0, full_sync_at=""), tz=DATAWORKS_TZ,
                          poll_seconds=0, metrics=Metrics(), sync_runner=sync)
    started = time.monotonic()
    assert freshness.run_sync_now(full=False) is True
    assert holder.current() is not first and holder.current().snapshot.id == store.current().id
    assert time.monotonic() - started < 10
    assert freshness.last_sync["ok"] is True


def _status(verdict, name):
    return next(c["status"] for c in verdict["checkpoints"] if c["name"] == name)
