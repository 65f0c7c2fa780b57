"""`apply_overlay`: node changes laid over a snapshot's graph data, the snapshot's data untouched."""

from __future__ import annotations

from lineage.overlay import NodeChange, apply_overlay
from lineage.graph import LineageGraph
from lineage.graph_records import load_records

NODES = [{"node_id": i, "node_name": f"n{i}", "project_id": 1, "owner_id": "ann", "priority": 1}
         for i in (10, 20, 30, 40)]
EDGES = [(10, 20), (20, 30), (10, 40)]
INSTANCES = [{"node_id": 20, "bizdate": __import__("datetime").date(2026, 11, d), "status": "SUCCESS",
              "begin_running_time": 0, "finish_time": 60_000} for d in (1, 2)]


def data():
    return load_records(NODES, EDGES, INSTANCES, {7: [30]}, "snap", None)


def ids(graph, node):
    return graph.node_ids(graph.descendants([node]).idx).tolist()


def test_an_update_changes_attributes_and_keeps_edges_and_history():
    base = data()
    graph = LineageGraph(apply_overlay(base, [NodeChange(20, "updated", {"scheduler_type": "PAUSE", "owner_id": "bob"})]))
    assert graph.node(20).scheduler_type == "PAUSE" and graph.node(20).owner_id == "bob"
    assert graph.node(20).node_name == "n20" and ids(graph, 10) == [20, 40, 30]
    assert len(graph.instance_history(20)) == 2 and graph.last_success_bizdate(20).day == 2
    assert LineageGraph(base).node(20).scheduler_type == "NORMAL"        # the snapshot's data is untouched


def test_a_delete_removes_the_node_and_its_edges():
    graph = LineageGraph(apply_overlay(data(), [NodeChange(20, "deleted", {})]))
    assert 20 not in graph and ids(graph, 10) == [40] and graph.edge_count == 1
    assert graph.baselines_of(graph.positions([30])[0]).tolist() == [7]   # membership follows renumbering


def test_a_created_node_joins_without_dependencies_and_positions_stay_sorted():
    graph = LineageGraph(apply_overlay(data(), [NodeChange(15, "created", {"node_name": "new", "priority": 8}),
                                                NodeChange(5, "created", {})]))
    assert graph.node(15).node_name == "new" and graph.node(15).priority == 8
    assert graph.node_ids(graph.positions([5, 10, 15, 20, 30, 40])[0]).tolist() == [5, 10, 15, 20, 30, 40]
    assert ids(graph, 15) == [] and ids(graph, 10) == [20, 40, 30]
    assert len(graph.instance_history(20)) == 2 and graph.instance_history(15) == []


def test_the_last_change_per_node_wins():
    changes = [NodeChange(30, "updated", {"scheduler_type": "PAUSE"}), NodeChange(30, "deleted", {})]
    assert 30 not in LineageGraph(apply_overlay(data(), changes))
    redeployed = LineageGraph(apply_overlay(data(), [*changes, NodeChange(30, "created", {"node_name": "again"})]))
    # the same node id deployed again: its attributes from the event, its dependencies from the snapshot
    assert redeployed.node(30).node_name == "again" and redeployed.node(30).scheduler_type == "NORMAL"
    assert ids(redeployed, 20) == [30]


def test_no_changes_is_the_same_data():
    base = data()
    assert apply_overlay(base, []) is base
