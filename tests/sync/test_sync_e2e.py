"""A sync through the real SDK over real HTTP against the emulator: counts, cross-workspace edges,
credentials, throttling, server errors, workspace-limited and incremental syncs."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import duckdb
import pytest

from lineage.client import DataWorksClient
from lineage.config import DataWorksSettings
from lineage.credentials import AccessKey
from lineage.errors import CredentialsError
from lineage.snapshots import SnapshotStore
from lineage.sync import SyncRequest, run_sync

from tests.conftest import TEST_KEY

END = date(2026, 11, 20)
TODAY = END + timedelta(days=1)


def client_for(emulator, key=TEST_KEY, **settings) -> DataWorksClient:
    base = DataWorksSettings(endpoint=emulator.url, rate_limit=1000.0, concurrency=8, max_attempts=10)
    return DataWorksClient(base.model_copy(update=settings), key)


def counts(path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("nodes", "edges", "instances", "projects", "baselines")}
    finally:
        con.close()


def fixture_counts(fixture) -> dict[str, int]:
    return {"nodes": len(fixture["nodes"]), "edges": len({tuple(e) for e in fixture["edges"]}),
            "instances": len(fixture["instances"]), "projects": len(fixture["projects"]),
            "baselines": len(fixture["baselines"])}


@pytest.fixture
def workspace(workspace_factory):
    return workspace_factory(600, seed=5, days=4, end_bizdate=END)


def sync(client, tmp_path, **request) -> dict:
    request.setdefault("history_days", 4)
    return run_sync(client, SnapshotStore(tmp_path), SyncRequest(today=TODAY, **request))


def test_full_sync_snapshot_matches_the_workspace(workspace, emulator_factory, tmp_path):
    emulator = emulator_factory(workspace)
    result = sync(client_for(emulator), tmp_path)
    assert counts(result.snapshot.path) == fixture_counts(workspace)
    info = result.info
    assert info["mode"] == "full" and info["node_count"] == len(workspace["nodes"])
    assert info["api_calls"] == emulator.stats()["served"]
    assert info["history_from"] == END - timedelta(days=3) and info["history_to"] == END


def test_cross_workspace_edges_are_kept(workspace, emulator_factory, tmp_path):
    project_of = {n["NodeId"]: n["ProjectId"] for n in workspace["nodes"]}
    expected = {tuple(e) for e in workspace["edges"] if project_of[e[0]] != project_of[e[1]]}
    assert expected, "the generated workspace must have cross-workspace edges"
    result = sync(client_for(emulator_factory(workspace)), tmp_path)
    con = duckdb.connect(str(result.snapshot.path), read_only=True)
    got = set(con.execute("""select e.parent_id, e.child_id from edges e join nodes p on p.idx = e.parent_idx
                             join nodes c on c.idx = e.child_idx where p.project_id <> c.project_id""").fetchall())
    assert got == expected


def test_wrong_secret_is_a_credentials_error_and_nothing_is_published(workspace, emulator_factory, tmp_path):
    emulator = emulator_factory(workspace)
    first = sync(client_for(emulator), tmp_path).snapshot
    bad = client_for(emulator, key=AccessKey(TEST_KEY.id, "not-the-secret"))
    with pytest.raises(CredentialsError, match="SignatureDoesNotMatch"):
        sync(bad, tmp_path)
    store = SnapshotStore(tmp_path)
    assert store.require_current() == first
    assert not list(store.dir.glob("*.partial"))


def test_throttling_slows_the_sync_down_but_it_completes(workspace_factory, emulator_factory, tmp_path):
    small = workspace_factory(150, seed=9, days=2, end_bizdate=END)
    emulator = emulator_factory(small, qps=40)
    result = run_sync(client_for(emulator, rate_limit=400.0, concurrency=8), SnapshotStore(tmp_path),
                      SyncRequest(today=TODAY, history_days=2))
    assert counts(result.snapshot.path) == fixture_counts(small)
    assert result.info["throttled"] > 0 and result.info["api_retries"] >= result.info["throttled"]
    assert emulator.stats()["throttled"] > 0


def test_server_errors_are_retried(workspace, emulator_factory, tmp_path):
    emulator = emulator_factory(workspace, error_rate=0.10)
    result = sync(client_for(emulator), tmp_path)
    assert counts(result.snapshot.path) == fixture_counts(workspace)
    assert result.info["api_retries"] > 0 and result.info["throttled"] == 0


def downstream_of(fixture, start: set[int]) -> set[int]:
    """Every node reachable from `start` over the fixture's edges (start excluded unless on a cycle)."""
    children: dict[int, list[int]] = {}
    for parent, child in fixture["edges"]:
        children.setdefault(parent, []).append(child)
    seen: set[int] = set()
    frontier = list(start)
    while frontier:
        frontier = [c for n in frontier for c in children.get(n, ()) if c not in seen]
        seen.update(frontier)
    return seen


def test_a_workspace_limited_sync_follows_the_downstream_into_other_workspaces(workspace, emulator_factory,
                                                                               tmp_path):
    project = 215001
    mine = {n["NodeId"] for n in workspace["nodes"] if n["ProjectId"] == project}
    below = downstream_of(workspace, mine) - mine
    assert below, "the generated workspace must have downstream nodes in other workspaces"
    expected = {tuple(e) for e in workspace["edges"] if e[1] in mine or e[0] in mine | below}
    result = sync(client_for(emulator_factory(workspace)), tmp_path, projects=(project,))
    con = duckdb.connect(str(result.snapshot.path), read_only=True)
    assert set(con.execute("select parent_id, child_id from edges").fetchall()) == expected
    listed = dict(con.execute("select listed, count(*) from nodes group by listed").fetchall())
    assert listed[True] == len(mine) and listed.get(False, 0) > 0
    # the nodes below, in other workspaces, with their full records (as ListNodes gives them)
    fields = ["NodeId", "ResGroupName", "OwnerId", "Priority", "SchedulerType", "ModifyTime"]
    by_id = {n["NodeId"]: n for n in workspace["nodes"]}
    got = con.execute("select node_id, res_group_name, owner_id, priority, scheduler_type, modify_time from nodes "
                      "where not listed and node_id in (select unnest($ids))", {"ids": sorted(below)}).fetchall()
    assert sorted(got) == sorted(tuple(by_id[i][f] for f in fields) for i in below)
    assert con.execute("select distinct project_id from instances join nodes using (node_id)").fetchall() == [(project,)]
    assert con.execute("select count(*) from unreadable_workspaces").fetchone()[0] == 0


def test_incremental_sync_reuses_unchanged_dependencies_and_history(workspace, emulator_factory, tmp_path):
    emulator = emulator_factory(workspace)
    first = sync(client_for(emulator), tmp_path)
    second = sync(client_for(emulator), tmp_path)
    assert second.info["mode"] == "incremental" and second.info["previous_snapshot_id"] == first.snapshot.id
    assert counts(second.snapshot.path) == counts(first.snapshot.path)
    assert second.info["history_bizdates_fetched"] == 1
    assert second.info["api_calls"] < first.info["api_calls"] / 5
    full = sync(client_for(emulator), tmp_path, full=True)
    assert full.info["mode"] == "full" and full.info["history_bizdates_fetched"] == 1
    assert counts(full.snapshot.path) == counts(first.snapshot.path)


def test_calls_per_node_stay_near_one(workspace, emulator_factory, tmp_path):
    emulator = emulator_factory(workspace)
    result = sync(client_for(emulator), tmp_path, history_days=1)
    by_action = Counter(emulator.stats()["by_action"])
    assert by_action["GetNodeParents"] == len(workspace["nodes"])
    assert by_action["GetNodeChildren"] == 0
    assert result.info["api_calls"] / len(workspace["nodes"]) <= 1.1
