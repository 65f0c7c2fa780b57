"""Syncs against an emulator that enforces DataWorks' page limits (PageNumber <= 100, ListBaselines <= 30):
workspaces and bizdates with more rows than one query reaches are listed by partitioned queries, exactly.

Most tests narrow the limits (a few pages) so that small workspaces exercise every level of the partition;
one slow test runs the documented limits on a workspace of more than 10,000 nodes with more than 10,000
instances on one bizdate."""

from __future__ import annotations

import copy
import functools
from collections import Counter
from datetime import date, timedelta

import duckdb
import pytest

from lineage.client import DataWorksClient
from lineage.config import DataWorksSettings
from lineage.errors import PageLimitError
from lineage.snapshots import SnapshotStore
from lineage.sync import SyncRequest, run_sync

from tests.conftest import TEST_KEY

END = date(2026, 11, 20)
TODAY = END + timedelta(days=1)
SMALL = {"ListProjects": 3, "ListNodes": 3, "ListInstances": 3, "ListBaselines": 1}  # 300 rows a query


def client_for(emulator, max_pages=None) -> DataWorksClient:
    settings = DataWorksSettings(endpoint=emulator.url, rate_limit=5000.0, concurrency=8, max_attempts=3)
    return DataWorksClient(settings, TEST_KEY, max_pages=max_pages)


def snapshot_rows(path) -> dict[str, set[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {"nodes": set(con.execute("select node_id, project_id, scheduler_type, program_type, owner_id "
                                         "from nodes where listed").fetchall()),
                "edges": set(con.execute("select parent_id, child_id from edges").fetchall()),
                "instances": set(con.execute("select instance_id, node_id, status, begin_running_time, finish_time "
                                             "from instances").fetchall()),
                "instance_rows": con.execute("select count(*) from instances").fetchone()[0],
                "baselines": set(con.execute("select baseline_id from baselines").fetchall())}
    finally:
        con.close()


def fixture_rows(fixture) -> dict[str, set[tuple]]:
    return {"nodes": {(n["NodeId"], n["ProjectId"], n["SchedulerType"], n["ProgramType"], n["OwnerId"])
                      for n in fixture["nodes"]},
            "edges": {tuple(e) for e in fixture["edges"]},
            "instances": {(i["InstanceId"], i["NodeId"], i["Status"], i["BeginRunningTime"], i["FinishTime"])
                          for i in fixture["instances"]},
            "instance_rows": len(fixture["instances"]),
            "baselines": {(b["BaselineId"],) for b in fixture["baselines"]}}


def sync(client, tmp_path):
    return run_sync(client, SnapshotStore(tmp_path), SyncRequest(history_days=1, today=TODAY))


@functools.cache
def single() -> dict:
    """~1,000 nodes and ~1,900 instances of one bizdate, all in workspace 215001 (do not mutate)."""
    from sandbox.workspace import generate_workspace

    return generate_workspace(1000, seed=12, days=1, end_bizdate=END, projects=1)


def test_a_workspace_past_the_page_limit_is_listed_exactly(emulator_factory, tmp_path):
    fixture = single()
    per_type = Counter(n["SchedulerType"] for n in fixture["nodes"])
    assert len(fixture["nodes"]) > 300 and per_type["NORMAL"] > 300 and len(fixture["instances"]) > 300
    emulator = emulator_factory(fixture, page_limits=SMALL)
    client = client_for(emulator, SMALL)
    filters_used = spy_filters(client)
    result = sync(client, tmp_path)
    assert snapshot_rows(result.snapshot.path) == fixture_rows(fixture)
    stats = emulator.stats()
    assert stats["page_limit"] == 0  # the sync never asked for a page past the limit
    assert result.info["history_rows_missed"] == 0
    # every level of both partitions was needed
    assert {("ListNodes", ("scheduler_type",)), ("ListNodes", ("program_type", "scheduler_type")),
            ("ListNodes", ("owner", "program_type", "scheduler_type")), ("ListInstances", ("program_type",)),
            ("ListInstances", ("owner", "program_type")),
            ("ListInstances", ("node_id", "owner", "program_type"))} <= filters_used


def spy_filters(client) -> set[tuple[str, tuple[str, ...]]]:
    """Record which filter combinations the client's list calls use (the calls go through unchanged)."""
    used: set[tuple[str, tuple[str, ...]]] = set()
    for action, name in (("ListNodes", "list_nodes_page"), ("ListInstances", "list_instances_page")):
        real = getattr(client, name)

        def recorded(*args, _real=real, _action=action, **filters):
            used.add((_action, tuple(sorted(filters))))
            return _real(*args, **filters)

        setattr(client, name, recorded)
    return used


def test_the_old_way_of_paging_hits_the_limit(emulator_factory, tmp_path):
    """The reproduction: paging one query to its end asks for pages the API refuses."""
    fixture = single()
    emulator = emulator_factory(fixture, page_limits=SMALL)
    client = client_for(emulator, SMALL)
    assert client.list_nodes_page(215001, 3)[0]
    with pytest.raises(Exception, match="Invalid.Parameter.PageNumber"):
        client.list_nodes_page(215001, 4)
    assert emulator.stats()["page_limit"] == 1


def with_program_type(fixture, position: int, program_type: str) -> dict:
    """`fixture` with the NORMAL node at `position` (in listing order) of a program type of its own."""
    changed = copy.deepcopy(fixture)
    normal = [n for n in changed["nodes"] if n["SchedulerType"] == "NORMAL"]
    normal[position]["ProgramType"] = program_type
    return changed


def test_a_value_first_seen_past_the_first_page_is_discovered(emulator_factory, tmp_path):
    fixture = with_program_type(single(), 250, "EMR_IMPALA")  # in NORMAL's 3rd page, not its first
    emulator = emulator_factory(fixture, page_limits=SMALL)
    result = sync(client_for(emulator, SMALL), tmp_path)
    assert snapshot_rows(result.snapshot.path) == fixture_rows(fixture)


def test_rows_no_filter_can_reach_fail_the_sync_and_publish_nothing(emulator_factory, tmp_path):
    fixture = with_program_type(single(), -1, "EMR_IMPALA")  # past every page a NORMAL query reaches
    emulator = emulator_factory(fixture, page_limits=SMALL)
    with pytest.raises(PageLimitError, match="ListNodes of 215001 with scheduler_type=NORMAL") as info:
        sync(client_for(emulator, SMALL), tmp_path)
    assert info.value.total == Counter(n["SchedulerType"] for n in fixture["nodes"])["NORMAL"]
    store = SnapshotStore(tmp_path)
    assert store.current() is None and not list(store.dir.glob("*.partial*"))


def test_instances_no_filter_reaches_are_counted_not_silently_dropped(emulator_factory, tmp_path):
    fixture = single()
    # an undeployed node keeps its run history, but no ProgramType / Owner / NodeId of a synced node names it
    victim = next(n for n in fixture["nodes"] if n["SchedulerType"] == "NORMAL" and n["CronExpress"].count("*") < 4
                  and any(i["NodeId"] == n["NodeId"] for i in fixture["instances"]))
    runs = {i["InstanceId"] for i in fixture["instances"] if i["NodeId"] == victim["NodeId"]}
    emulator = emulator_factory(fixture, page_limits=SMALL)
    emulator.remove_node(victim["NodeId"])
    result = sync(client_for(emulator, SMALL), tmp_path)
    assert result.info["history_rows_missed"] == len(runs)
    got = snapshot_rows(result.snapshot.path)["instances"]
    assert got == {row for row in fixture_rows(fixture)["instances"] if row[0] not in runs}


def test_page_limits_of_the_emulator_can_be_switched_off(emulator_factory):
    fixture = single()
    emulator = emulator_factory(fixture, page_limits=False)
    rows, total = client_for(emulator).list_nodes_page(215001, 4)
    assert rows and total == len(fixture["nodes"])


@pytest.mark.slow
def test_more_than_10000_nodes_and_instances_in_one_workspace_under_the_documented_limits(emulator_factory,
                                                                                          tmp_path):
    from sandbox.workspace import generate_workspace

    fixture = generate_workspace(10_600, seed=2, days=1, end_bizdate=END, projects=1)
    assert len(fixture["nodes"]) > 10_000 and len(fixture["instances"]) > 10_000  # one workspace, one bizdate
    emulator = emulator_factory(fixture)  # page limits on by default: 100 pages, 30 for ListBaselines
    result = sync(client_for(emulator), tmp_path)
    assert snapshot_rows(result.snapshot.path) == fixture_rows(fixture)
    stats = emulator.stats()
    assert stats["page_limit"] == 0
    assert result.info["api_calls"] / len(fixture["nodes"]) <= 1.05
