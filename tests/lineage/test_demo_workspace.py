"""The graph of a generated demo workspace, checked against plain SQL over the snapshot file."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pytest

from lineage.backfill import BackfillRequest, BizdatePeriod, estimate_backfill
from lineage.graph import LineageGraph
from lineage.impact import compute_impact
from lineage.records import instance_row, node_row
from lineage.snapshot_writer import write_fixture_snapshot

END = date(2026, 11, 19)

# Descendants in the cycle DAG by a recursive CTE: the obvious, slow, independent answer.
DOWNSTREAM_SQL = """
WITH RECURSIVE dag AS (
    SELECT e.parent_id, e.child_id
    FROM edges AS e
    JOIN nodes AS p ON p.node_id = e.parent_id
    JOIN nodes AS c ON c.node_id = e.child_id
    WHERE p.scheduler_type <> 'MANUAL' AND c.scheduler_type <> 'MANUAL'
), reach(node_id, depth) AS (
    SELECT child_id, 1 FROM dag WHERE parent_id = $root
    UNION
    SELECT d.child_id, r.depth + 1 FROM dag AS d JOIN reach AS r ON d.parent_id = r.node_id
)
SELECT node_id, min(depth) AS depth FROM reach WHERE node_id <> $root GROUP BY node_id ORDER BY node_id
"""


@pytest.fixture(scope="module")
def demo(workspace_factory, tmp_path_factory):
    fixture = workspace_factory(3000, seed=11, days=5, end_bizdate=END)
    path = write_fixture_snapshot(fixture, tmp_path_factory.mktemp("snap") / "20261120T000000Z.duckdb")
    return fixture, path, LineageGraph.from_snapshot(path)


def recursive_downstream(path, root: int) -> dict[int, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return dict(con.execute(DOWNSTREAM_SQL, {"root": root}).fetchall())
    finally:
        con.close()


def hub_of(graph: LineageGraph) -> int:
    """The NORMAL node with the most direct children (the generator's hubs have thousands below)."""
    fanout = graph.child_counts()
    assert fanout.tolist()[:50] == [graph.children(i).size for i in range(50)]
    return int(graph.node_ids(np.array([int(np.argmax(fanout))]))[0])


def test_hub_downstream_equals_a_recursive_query_over_edges(demo):
    _, path, graph = demo
    for root in (hub_of(graph), 700000000101):
        expected = recursive_downstream(path, root)
        impact = compute_impact(graph, [root])
        assert impact.downstream_count == len(expected) > 100
        assert {r["node_id"]: r["depth"] for r in impact.descendants(graph)} == expected


def test_frozen_hub_impact_matches_the_recursive_query(demo):
    fixture, path, _ = demo
    hub = 700000000101
    nodes = [dict(n, SchedulerType="PAUSE") if n["NodeId"] == hub else n for n in fixture["nodes"]]
    frozen_path = write_fixture_snapshot({**fixture, "nodes": nodes}, path.with_name("frozen.duckdb"))
    graph = LineageGraph.from_snapshot(frozen_path)
    assert graph.node(hub).scheduler_type == "PAUSE"
    assert compute_impact(graph, [hub]).downstream_count == len(recursive_downstream(frozen_path, hub))


def test_sample_nodes_205_and_206_hang_below_101(demo):
    _, _, graph = demo
    below = set(graph.node_ids(graph.descendants([700000000101]).idx).tolist())
    assert {700000000205, 700000000206} <= below
    assert 700000000205 in set(graph.node_ids(graph.ancestors([700000000206]).idx).tolist())


def test_snapshot_and_records_build_the_same_graph(demo):
    fixture, _, snap = demo
    recs = LineageGraph.from_records(
        [node_row(n) for n in fixture["nodes"]], [tuple(e) for e in fixture["edges"]],
        instances=[instance_row(i) for i in fixture["instances"]],
        baselines={b["BaselineId"]: b.get("NodeIds") or () for b in fixture["baselines"]})
    assert (recs.node_count, recs.edge_count) == (snap.node_count, snap.edge_count)
    for name in ("node_id", "project_id", "priority", "baseline_id", "scheduler_type", "owner_id", "cron_express",
                 "program_type", "node_name", "listed"):
        assert recs.column(name).tolist() == snap.column(name).tolist(), name
    np.testing.assert_allclose(recs.median_runtime_seconds(), snap.median_runtime_seconds(), rtol=1e-12)
    np.testing.assert_allclose(recs.fallback_runtime_seconds(), snap.fallback_runtime_seconds(), rtol=1e-12)
    assert recs.history_to == snap.history_to == END
    some = snap.node_ids(np.arange(0, snap.node_count, 97)).tolist()
    for node_id in some:
        assert recs.instance_history(node_id) == snap.instance_history(node_id)
        assert recs.last_success_bizdate(node_id) == snap.last_success_bizdate(node_id)
    assert compute_impact(recs, some) == compute_impact(snap, some)


def test_runtime_medians_come_from_the_instances(demo):
    fixture, _, graph = demo
    node_id = 700000000205
    runs = sorted((i["FinishTime"] - i["BeginRunningTime"]) / 1000 for i in fixture["instances"]
                  if i["NodeId"] == node_id and i["Status"] == "SUCCESS")
    i = int(graph.positions([node_id])[0][0])
    assert graph.median_runtime_seconds()[i] == pytest.approx(float(np.median(runs)))


def test_all_downstream_backfill_of_101_selects_root_plus_the_recursive_downstream(demo):
    _, path, graph = demo
    request = BackfillRequest(700000000101, (BizdatePeriod(END - timedelta(days=29), END),))
    estimate = estimate_backfill(graph, request)
    assert estimate.selection_mode == "all-downstream"
    assert estimate.node_count == 1 + len(recursive_downstream(path, 700000000101))
    assert estimate.downstream_not_included_count == 0 and estimate.bizdate_count == 30
    assert estimate.run_instance_count >= 30 * estimate.node_count * 0.5
    assert estimate.nodes_without_history < estimate.node_count


def test_graph_data_rows_are_in_position_order(demo):
    from lineage.graph_load import load_snapshot

    _, path, graph = demo
    data = load_snapshot(path)
    for table in (data.nodes, data.runtimes):
        assert table["idx"].to_numpy().tolist() == list(range(graph.node_count))
