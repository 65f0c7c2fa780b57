"""A sync limited to some workspaces still sees their whole downstream in the other workspaces; workspaces the
credentials may not read are recorded, and verdicts that reach them say so. Demo workspace (3 workspaces);
the hub 700000000101 of workspace 215001 has 880 live descendants, most of them in the other two."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from evaluator.evaluate import evaluate
from evaluator.events import parse_event
from lineage.client import DataWorksClient
from lineage.config import DataWorksSettings
from lineage.errors import AccessDeniedError
from lineage.graph import LineageGraph
from lineage.impact import compute_impact
from lineage.snapshots import SnapshotStore
from lineage.sync import SyncRequest, run_sync

from tests.conftest import TEST_KEY, yesterday_in_dataworks_tz

HOME, HUB = 215001, 700000000101
ROOT = Path(__file__).resolve().parents[2]
# the package that runs the `opsguard` command (the service code is moving from evaluator/ to opsguard/)
CLI = "opsguard" if (ROOT / "opsguard" / "__main__.py").is_file() else "evaluator"
FREEZE_SAMPLE = ROOT / "evaluator" / "demo_samples" / "freeze-node.json"


@pytest.fixture(scope="module")
def demo(workspace_factory):
    """The `opsguard demo` workspace (3,000 nodes, seed 7) with one bizdate of history."""
    return workspace_factory(3000, seed=7, days=1, end_bizdate=yesterday_in_dataworks_tz())


def descendants(fixture, start) -> set[int]:
    children = defaultdict(list)
    for parent, child in fixture["edges"]:
        children[parent].append(child)
    seen: set[int] = set()
    frontier = [start]
    while frontier:
        frontier = [c for n in frontier for c in children[n] if c not in seen]
        seen.update(frontier)
    return seen


def crossing_nodes(fixture, count: int = 6) -> list[int]:
    """The hub plus nodes of HOME whose downstream crosses into other workspaces, deepest reach first."""
    project = {n["NodeId"]: n["ProjectId"] for n in fixture["nodes"]}
    home = sorted(n["NodeId"] for n in fixture["nodes"] if n["ProjectId"] == HOME and n["NodeId"] != HUB)
    crossing = [n for n in home if any(project[d] != HOME for d in descendants(fixture, n))]
    return [HUB, *crossing[:: max(1, len(crossing) // count)][:count - 1]]


def opsguard(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_ID": TEST_KEY.id,
           "ALIBABA_CLOUD_ACCESS_KEY_SECRET": TEST_KEY.secret, "PYTHONPATH": str(ROOT)}
    env.pop("OPSGUARD_CONFIG", None)
    return subprocess.run([sys.executable, "-m", CLI, *args], env=env, capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


def impact_json(data_dir: Path, node_id: int) -> dict:
    done = opsguard("impact", str(node_id), "--json", "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _without_unsynced_names(out: dict) -> dict:
    """The impact JSON less the names only a sync of that workspace reads (its baselines' names); owners' and
    workspaces' names stay: the members and names of every workspace holding a node are read, downstream ones
    too."""
    out.pop("baseline_names")
    return out


@pytest.mark.slow
def test_impact_after_a_limited_sync_equals_the_full_answer(demo, emulator_factory, tmp_path):
    emulator = emulator_factory(demo)
    limited, full = tmp_path / "limited", tmp_path / "full"
    for data_dir, extra in ((limited, ("--project", str(HOME))), (full, ())):
        done = opsguard("sync", "--endpoint", emulator.url, "--rate-limit", "2000", "--data-dir", str(data_dir),
                        "--json", *extra)
        assert done.returncode == 0, done.stderr
    # the command a user runs, on the hub ...
    got, want = (_without_unsynced_names(impact_json(d, HUB)) for d in (limited, full))
    assert want["cross_project_count"] > 0 and got == want
    # ... and the same function it calls on other nodes whose downstream crosses workspaces
    graphs = [LineageGraph.from_snapshot(SnapshotStore(d).require_current().path) for d in (limited, full)]
    nodes = crossing_nodes(demo)
    assert len(nodes) == 6
    for node_id in nodes[1:]:
        got, want = (_without_unsynced_names(json.loads(json.dumps(compute_impact(g, [node_id]).to_json(g))))
                     for g in graphs)
        assert want["cross_project_count"] > 0
        assert got == want, f"impact of {node_id} differs after `sync --project {HOME}`"
    # the README's verdict holds on the limited snapshot too
    check = opsguard("check", str(FREEZE_SAMPLE), "--json", "--data-dir", str(limited))
    verdict = json.loads(check.stdout)
    blocked = next(c for c in verdict["checkpoints"] if c["name"] == "downstream-blocked")
    assert blocked["facts"]["live"] == 880 and verdict["result"] == "FAIL"
    assert "unreadable-workspaces" not in {c["name"] for c in verdict["checkpoints"]}


def sync(emulator, data_dir, **request):
    client = DataWorksClient(DataWorksSettings(endpoint=emulator.url, rate_limit=5000.0, concurrency=8), TEST_KEY)
    today = yesterday_in_dataworks_tz() + timedelta(days=1)
    return run_sync(client, SnapshotStore(data_dir), SyncRequest(history_days=1, today=today, **request))


def unreadable_rows(path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select project_id, action, code from unreadable_workspaces").fetchall()
    finally:
        con.close()


def freeze_hub(graph: LineageGraph):
    data = json.loads(FREEZE_SAMPLE.read_text(encoding="utf-8"))["data"]
    return evaluate(parse_event(data), graph, None)


def test_a_limited_sync_records_an_unreadable_workspace_below_and_the_verdict_says_so(demo, emulator_factory,
                                                                                      tmp_path):
    locked = 215046
    project = {n["NodeId"]: n["ProjectId"] for n in demo["nodes"]}
    assert any(project[d] == locked for d in descendants(demo, HUB))
    result = sync(emulator_factory(demo, forbidden_projects=[locked]), tmp_path, projects=(HOME,))
    assert unreadable_rows(result.snapshot.path)[0][0::2] == (locked, "Forbidden.Access")
    assert result.info["unreadable_project_ids"] == [locked]
    graph = LineageGraph.from_snapshot(result.snapshot.path)
    assert graph.unreadable_project_ids == (locked,)
    verdict = freeze_hub(graph)
    warning = verdict.checkpoint("unreadable-workspaces")
    assert warning.status.value == "WARN" and str(locked) in warning.message
    assert verdict.checkpoint("downstream-blocked").facts["live"] < 880  # smaller, but not silently
    assert f"unreadable workspace ({locked})" in verdict.tip  # the panel says so, even among FAILs


def test_a_full_sync_lists_around_a_forbidden_workspace_and_follows_edges_into_it(demo, emulator_factory, tmp_path):
    locked = 215039
    inside = {n["NodeId"] for n in demo["nodes"] if n["ProjectId"] == locked}
    emulator = emulator_factory(demo, forbidden_projects=[locked])
    result = sync(emulator, tmp_path)
    assert unreadable_rows(result.snapshot.path) == [(locked, "ListNodes", "Forbidden.Access")]
    con = duckdb.connect(str(result.snapshot.path), read_only=True)
    edges = set(con.execute("select parent_id, child_id from edges").fetchall())
    con.close()
    # every edge but those inside the forbidden workspace: into it (children of readable nodes) and out of it
    # (parents of readable nodes) are known
    assert edges == {tuple(e) for e in demo["edges"] if not (e[0] in inside and e[1] in inside)}
    assert emulator.stats()["by_action"]["GetNodeChildren"] > 0


def test_a_sync_that_can_read_none_of_its_workspaces_fails_and_publishes_nothing(demo, emulator_factory, tmp_path):
    emulator = emulator_factory(demo, forbidden_projects=[HOME])
    with pytest.raises(AccessDeniedError, match="may read none of the workspaces"):
        sync(emulator, tmp_path, projects=(HOME,))
    store = SnapshotStore(tmp_path)
    assert store.current() is None and not list(store.dir.glob("*.partial*"))


def test_a_full_sync_of_readable_workspaces_does_not_ask_for_children(demo, emulator_factory, tmp_path):
    emulator = emulator_factory(demo)
    sync(emulator, tmp_path)
    by_action = emulator.stats()["by_action"]
    assert by_action.get("GetNodeChildren", 0) == 0 and by_action.get("GetNode", 0) == 0
