"""Workspace members synced through the real SDK (ListProjectMembers) into the snapshot, and read back as the
names owners are shown by; a refused member listing and a snapshot written before members existed still work."""

from __future__ import annotations

import logging
import shutil
from datetime import date, timedelta

import duckdb

from lineage.client import DataWorksClient
from lineage.config import DataWorksSettings
from lineage.graph import LineageGraph
from lineage.snapshots import SnapshotStore
from lineage.sync import SyncRequest, run_sync

from tests.conftest import TEST_KEY

END = date(2026, 11, 20)


def _sync(emulator, tmp_path):
    settings = DataWorksSettings(endpoint=emulator.url, rate_limit=1000.0, concurrency=8, max_attempts=3)
    return run_sync(DataWorksClient(settings, TEST_KEY), SnapshotStore(tmp_path),
                    SyncRequest(today=END + timedelta(days=1), history_days=1))


def test_members_are_synced_and_owners_read_by_name(workspace_factory, emulator_factory, tmp_path):
    fixture = workspace_factory(300, seed=4, days=1, end_bizdate=END)
    emulator = emulator_factory(fixture, page_limits={"ListProjectMembers": 30})
    result = _sync(emulator, tmp_path)
    want = {(int(pid), m["ProjectMemberId"]) for pid, ms in fixture["members"].items() for m in ms}
    con = duckdb.connect(str(result.snapshot.path), read_only=True)
    got = set(con.execute("select project_id, project_member_id from members").fetchall())
    con.close()
    assert got == want and result.info["member_count"] == len(want)
    assert result.info["members_unavailable"] is None
    assert emulator.stats()["by_action"]["ListProjectMembers"] == len(fixture["projects"])
    graph = LineageGraph.from_snapshot(result.snapshot.path)
    assert graph.node(700000000101).owner_id == "203100000000042"
    assert graph.directory.owner("203100000000042") == "Li Na"
    robot = next(m for ms in fixture["members"].values() for m in ms if not m["ProjectMemberName"])
    assert graph.directory.owner(robot["ProjectMemberId"]) == robot["Nick"]      # no name: the nick
    assert graph.directory.baseline(90001) == "trade_sla_000"                     # from ListBaselines
    assert graph.directory.workspace(215001) == "dw_trade"


def test_a_refused_member_listing_keeps_the_sync_and_shows_ids(workspace_factory, emulator_factory, tmp_path,
                                                                caplog):
    fixture = workspace_factory(300, seed=4, days=1, end_bizdate=END)
    emulator = emulator_factory(fixture, forbidden_actions=["ListProjectMembers"])
    with caplog.at_level(logging.WARNING, logger="lineage.sync"):
        result = _sync(emulator, tmp_path)
    said = [r for r in caplog.records if "members" in r.getMessage()]
    assert len(said) == 1 and "Forbidden.Access" in said[0].getMessage() and "user ids" in said[0].getMessage()
    assert result.info["member_count"] == 0 and "ListProjectMembers refused" in result.info["members_unavailable"]
    assert result.info["node_count"] == len(fixture["nodes"])
    graph = LineageGraph.from_snapshot(result.snapshot.path)
    assert graph.directory.owner("203100000000042") == "203100000000042"
    assert graph.directory.baseline(90001) == "trade_sla_000"


def test_a_snapshot_written_before_members_still_loads_with_owner_ids(workspace_factory, emulator_factory, tmp_path):
    fixture = workspace_factory(300, seed=4, days=1, end_bizdate=END)
    result = _sync(emulator_factory(fixture), tmp_path / "new")
    old = tmp_path / "old.duckdb"
    shutil.copy(result.snapshot.path, old)
    con = duckdb.connect(str(old))
    con.execute("DROP TABLE members")
    con.execute("ALTER TABLE sync_info DROP COLUMN members_unavailable")
    con.execute("ALTER TABLE sync_info DROP COLUMN member_count")
    con.close()
    graph = LineageGraph.from_snapshot(old)
    assert graph.node_count == len(fixture["nodes"])
    assert graph.directory.owners == {} and graph.directory.owner("203100000000042") == "203100000000042"
    assert graph.directory.workspace(215001) == "dw_trade"
