"""Freshness: node-change events confirmed in production reach the next check (development edits never
do); a new snapshot is swapped in without a restart; scheduled syncs never overlap; a first start syncs."""

from __future__ import annotations

import copy
import threading

import pytest

from lineage.records import DATAWORKS_TZ
from opsguard.config import ScheduleSettings
from opsguard.metrics import Metrics
from opsguard.schedule import Schedule, SyncBusy, sync_lock
from opsguard.store import open_store
from lineage.snapshot_writer import write_fixture_snapshot
from lineage.snapshots import SnapshotStore
from tests.service.conftest import renamed, sample, wait_for, wait_reported

NEW_NODE = 700000000299


def _verdict(server, emulator, envelope):
    assert server.pusher.push(envelope).status_code == 202
    wait_reported(emulator, [envelope["id"]], server=server)
    return server.service.store.verdict(envelope["id"]).data()


def _graph(server):
    """The server process's graph with every confirmed node change (the pages' graph catches up with the
    store on its poll; the judging workers read the store before each batch)."""
    server.service.refresh_graph()
    return server.service.live()


def _node_change(code: str, node_id: int, **record):
    event = sample("node-change-updated", fresh=True)
    event["type"] = {"created": "dataworks:NodeChange:NodeChangeCreated",
                     "deleted": "dataworks:NodeChange:NodeChangeDeleted"}.get(code, event["type"])
    event["data"] = {k: v for k, v in event["data"].items()
                     if k in ("eventCode", "operator", "projectId", "tenantId", "nodeId")}
    event["data"].update(eventCode=f"node-change-{code}", nodeId=node_id, **record)
    return event


def _settled(server, event) -> str:
    """Push a node change and wait for the worker's production check; its final status."""
    answer = server.pusher.push(event)
    assert answer.status_code == 200 and answer.json()["status"] == "accepted", answer.text
    row = wait_for(lambda: (r := server.service.store.inbox_row(event["id"])) and r.status.finished and r,
                   what="the node change confirmed or discarded")
    return row.status.value


def test_a_node_created_after_the_snapshot_is_known_to_the_next_check(start_server, emulator, demo_workspace):
    server = start_server()
    freeze_new = renamed(sample("freeze-node", fresh=True), nodeIds=[NEW_NODE])
    before = _verdict(server, emulator, freeze_new)
    assert _status(before, "unknown-nodes") == "WARN"
    template = next(n for n in demo_workspace["nodes"] if n["NodeId"] == 700000000205)
    emulator.update_node({**template, "NodeId": NEW_NODE, "NodeName": "dws_new_node_1d", "Priority": 1})
    created = _node_change("created", NEW_NODE, nodeName="dws_new_node_1d", schedulerType="NORMAL", priority=1)
    assert _settled(server, created) == "applied"
    after = _verdict(server, emulator, renamed(freeze_new))
    assert _status(after, "unknown-nodes") == "OK"
    assert after["overlay"]["nodes"] == [NEW_NODE]
    assert _graph(server).graph.node(NEW_NODE).node_name == "dws_new_node_1d"


def test_a_freeze_below_the_hub_counts_as_frozen_in_the_next_check(start_server, emulator):
    server = start_server()
    before = _verdict(server, emulator, sample("freeze-node", fresh=True))["impact"]
    emulator.update_node({"NodeId": 700000000205, "SchedulerType": "PAUSE"})       # frozen in production
    frozen = _node_change("updated", 700000000205, nodeName="dwd_trade_order_detail_di", schedulerType="PAUSE")
    assert _settled(server, frozen) == "applied"
    after = _verdict(server, emulator, sample("freeze-node", fresh=True))["impact"]
    assert after["frozen_downstream_count"] == before["frozen_downstream_count"] + 1
    assert after["live_downstream_count"] == before["live_downstream_count"] - 1


def test_a_development_edit_changes_no_verdict(start_server, emulator):
    """node-change-updated also fires for development edits; production still runs the node unchanged."""
    server = start_server()
    before = _verdict(server, emulator, sample("freeze-node", fresh=True))
    dev_edit = _node_change("updated", 700000000205, nodeName="dwd_trade_order_detail_di", schedulerType="PAUSE",
                            priority=1)
    assert _settled(server, dev_edit) == "discarded"
    row = server.service.store.inbox_row(dev_edit["id"])
    assert "development" in row.reason and "scheduler_type" in row.reason
    after = _verdict(server, emulator, sample("freeze-node", fresh=True))
    assert after["impact"] == before["impact"] and after["result"] == before["result"]
    assert after["overlay"]["nodes"] == [] and server.service.store.overlay_version() == 0


def test_an_undeployed_node_leaves_the_graph_for_the_next_check(start_server, emulator):
    server = start_server()
    emulator.remove_node(700000000205)
    assert _settled(server, _node_change("deleted", 700000000205)) == "applied"
    verdict = _verdict(server, emulator, renamed(sample("freeze-node", fresh=True), nodeIds=[700000000205]))
    assert _status(verdict, "unknown-nodes") == "WARN"
    assert 700000000205 not in _graph(server).graph


def test_records_delivered_out_of_order_end_on_what_production_runs(start_server, emulator):
    server = start_server()
    emulator.update_node({"NodeId": 700000000205, "SchedulerType": "PAUSE"})
    newer = _node_change("updated", 700000000205, schedulerType="PAUSE", modifyTime=2_000_000_000_000)
    older = _node_change("updated", 700000000205, schedulerType="NORMAL", modifyTime=1_000_000_000_000)
    assert _settled(server, newer) == "applied"
    assert _settled(server, older) == "discarded"          # EventBridge delivered it late: overtaken
    _verdict(server, emulator, sample("freeze-node", fresh=True))
    assert _graph(server).graph.node(700000000205).scheduler_type == "PAUSE"
    [row] = server.service.store.overlay_since(0)
    assert row.node["scheduler_type"] == "PAUSE"


def test_a_new_snapshot_is_swapped_in_and_the_changes_it_covers_are_dropped(start_server, emulator, data_dir,
                                                                            demo_workspace):
    server = start_server(graph_poll_seconds=0.2)
    emulator.update_node({"NodeId": 700000000205, "SchedulerType": "PAUSE"})
    assert _settled(server, _node_change("updated", 700000000205, schedulerType="PAUSE")) == "applied"
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
    live = server.service.live()
    assert live.graph.node(700000000205).owner_id == "new-owner"
    assert live.graph.node(700000000205).scheduler_type == "NORMAL"     # the snapshot's word now
    wait_for(lambda: server.service.store.overlay_since(0) == [], what="overlay pruned in the state store")
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

    metrics = Metrics()
    store = open_store(data_dir=data_dir)
    freshness = Schedule(lambda: False, store, data_dir / "snapshots",
                         ScheduleSettings(refresh_minutes=0.01, full_sync_at="02:30"), tz=DATAWORKS_TZ,
                         poll_seconds=0.2, metrics=metrics, sync_runner=slow_sync)
    freshness.start()
    try:
        jobs = {job.id: job for job in freshness._scheduler.get_jobs()}
        assert set(jobs) == {"snapshot-poll", "refresh-sync", "full-sync"}
        assert all(j.max_instances == 1 and j.coalesce for j in jobs.values())
        assert str(jobs["full-sync"].trigger).startswith("cron[hour='2', minute='30']")
        wait_for(lambda: calls, timeout=10, what="the scheduled refresh")
        assert freshness.run_sync_now(full=True) is False             # the scheduled one still runs
        assert metrics.value("syncs", kind="full", outcome="skipped") == 1
        gate.set()
        wait_for(lambda: metrics.value("syncs", kind="refresh", outcome="failed") >= 1, what="failure recorded")
    finally:
        gate.set()
        freshness.stop()
        store.close()


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
    from lineage.live import GraphHolder

    snapshots = SnapshotStore(data_dir)
    holder = GraphHolder(snapshots)
    holder.refresh()
    first = holder.current()

    def sync(full: bool):
        partial = snapshots.new_partial()
        write_fixture_snapshot(demo_workspace, partial)
        return type("Result", (), {"snapshot": snapshots.publish(partial)})()

    store = open_store(data_dir=data_dir)
    freshness = Schedule(holder.refresh, store, snapshots.dir, ScheduleSettings(refresh_minutes=0, full_sync_at=""),
                         tz=DATAWORKS_TZ, poll_seconds=0, metrics=Metrics(), sync_runner=sync)
    assert freshness.run_sync_now(full=False) is True
    assert holder.current() is not first and holder.current().snapshot.id == snapshots.current().id
    assert freshness.last_sync["ok"] is True
    store.close()


def test_a_first_start_syncs_at_once_and_judges_what_arrived_before_the_snapshot(start_server, emulator, tmp_path):
    """An empty data dir: `/readyz` is 503 while the first sync runs; a freeze pushed meanwhile is stored,
    not answered "could not judge", and is judged on the snapshot once it lands."""
    from lineage.client import DataWorksClient
    from lineage.config import DataWorksSettings
    from lineage.sync import SyncRequest, run_sync
    from tests.conftest import TEST_KEY

    empty = tmp_path / "fresh"
    gate = threading.Event()

    def first_sync(full: bool):
        gate.wait(30)                                      # held until the test has pushed
        client = DataWorksClient(DataWorksSettings(endpoint=emulator.url, rate_limit=2000.0), TEST_KEY)
        return run_sync(client, SnapshotStore(empty), SyncRequest(full=full))

    server = start_server(data=empty, sync_runner=first_sync)
    ready = server.pusher.client.get(f"{server.url}/readyz")
    assert ready.status_code == 503 and "first sync is running" in ready.json()["reason"]
    event = sample("freeze-node", fresh=True)
    assert server.pusher.push(event).status_code == 202
    assert server.service.store.inbox_row(event["id"]).status.value == "accepted"   # kept, not judged blind
    gate.set()
    verdict = _verdict_when_reported(server, emulator, event)
    assert verdict["result"] == "FAIL" and verdict["impact"]["downstream_count"] > 800
    wait_for(lambda: server.pusher.client.get(f"{server.url}/readyz").status_code == 200, what="ready")


def _verdict_when_reported(server, emulator, envelope):
    wait_reported(emulator, [envelope["id"]], server=server, timeout=60)
    return server.service.store.verdict(envelope["id"]).data()


def _status(verdict, name):
    return next(c["status"] for c in verdict["checkpoints"] if c["name"] == name)
