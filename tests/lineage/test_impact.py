"""Graph index and impact on small hand-built graphs where the right answer is obvious."""

from __future__ import annotations

from datetime import UTC, date, datetime

import networkx as nx
import numpy as np
import pytest

from lineage.errors import UnknownNodeError
from lineage.graph import LineageGraph, NodeInfo
from lineage.impact import compute_impact


def node(node_id: int, **fields) -> dict:
    return {"node_id": node_id, "node_name": f"n{node_id}", "project_id": 1, "owner_id": "ann",
            "cron_express": "00 10 00 * * ?", "priority": 1, **fields}


def chain(length: int, first: int = 100) -> LineageGraph:
    ids = list(range(first, first + length + 1))
    return LineageGraph.from_records([node(i) for i in ids], list(zip(ids, ids[1:])))


def test_chain_of_ten_has_ten_descendants_max_depth_ten():
    impact = compute_impact(chain(10), [100])
    assert impact.downstream_count == 10 and impact.max_depth == 10
    assert impact.by_depth == {d: 1 for d in range(1, 11)}
    rows = impact.descendants(chain(10))
    assert [r["node_id"] for r in rows] == list(range(101, 111))
    assert all(r["via"] == r["node_id"] - 1 for r in rows)


def test_max_depth_truncates_the_chain():
    impact = compute_impact(chain(10), [100], max_depth=3)
    assert impact.downstream_count == 3 and impact.max_depth == 3
    assert compute_impact(chain(10), [100], max_depth=0).downstream_count == 0


def test_diamond_counts_the_bottom_node_once_at_its_shortest_depth():
    g = LineageGraph.from_records([node(i) for i in (1, 2, 3, 4, 5)], [(1, 2), (1, 3), (2, 4), (3, 4), (1, 5), (5, 4)])
    impact = compute_impact(g, [1])
    assert impact.downstream_count == 4
    bottom = next(r for r in impact.descendants(g) if r["node_id"] == 4)
    assert bottom["depth"] == 2 and bottom["via"] in (2, 3, 5)


def test_several_start_nodes_union_minus_themselves():
    g = chain(5)  # 100 → … → 105
    impact = compute_impact(g, [101, 103])
    assert impact.nodes == (101, 103)
    assert [r["node_id"] for r in impact.descendants(g)] == [102, 104, 105]
    assert {r["node_id"]: r["depth"] for r in impact.descendants(g)} == {102: 1, 104: 1, 105: 2}


def test_unknown_ids_are_reported_not_dropped_and_known_ones_still_count():
    impact = compute_impact(chain(3), [999, 100, 998, 999])
    assert impact.unknown == (999, 998) and impact.nodes == (100,) and impact.downstream_count == 3
    assert compute_impact(chain(3), [999]).downstream_count == 0


def test_cross_project_descendants_are_those_outside_every_start_workspace():
    g = LineageGraph.from_records([node(1, project_id=10), node(2, project_id=10), node(3, project_id=20),
                                   node(4, project_id=30), node(5, project_id=20)], [(1, 2), (1, 3), (3, 4), (5, 4)])
    impact = compute_impact(g, [1])
    assert impact.cross_project_count == 2 and impact.by_project == {10: 1, 20: 1, 30: 1}
    assert compute_impact(g, [1, 5]).cross_project_count == 1  # only workspace 30 is foreign now


def test_baselines_touched_merge_node_baseline_and_membership_lists():
    g = LineageGraph.from_records([node(1, baseline_id=7), node(2, baseline_id=8), node(3), node(4)],
                                  [(1, 2), (2, 3)], baselines={9: [3], 11: [4]})
    assert compute_impact(g, [2]).baseline_ids == (8, 9)   # its own baseline and its descendant's
    assert compute_impact(g, [1]).baseline_ids == (7, 8, 9)
    assert compute_impact(g, [4]).baseline_ids == (11,)
    assert g.baselines_of(np.array([2, 3])).tolist() == [9, 11]


def test_high_priority_owners_frozen_and_dry_run_descendants():
    g = LineageGraph.from_records(
        [node(1), node(2, priority=7, owner_id="bob"), node(3, priority=8, scheduler_type="PAUSE", owner_id="cy"),
         node(4, scheduler_type="SKIP", priority=None, owner_id=None), node(5, priority=5)],
        [(1, 2), (1, 3), (1, 4), (1, 5)])
    impact = compute_impact(g, [1])
    assert (impact.high_priority_count, impact.paused_count, impact.skipped_count) == (2, 1, 1)
    assert impact.owners == ("ann", "bob", "cy")
    assert compute_impact(g, [1], high_priority=8).high_priority_count == 1


def test_manual_nodes_are_not_in_the_cycle_dag():
    g = LineageGraph.from_records([node(1), node(2, scheduler_type="MANUAL"), node(3), node(4)],
                                  [(1, 2), (2, 3), (1, 4)])
    assert compute_impact(g, [1]).downstream_count == 1          # 2 is manual, 3 only hangs below it
    assert compute_impact(g, [2]).downstream_count == 0
    assert g.edge_count == 1 and g.is_manual.tolist() == [False, True, False, False]
    assert set(g.to_networkx().nodes) == {1, 3, 4}


def test_impact_json_has_the_design_shape():
    g = chain(2)
    out = compute_impact(g, [100]).to_json(g)
    assert out["nodes"] == [100] and out["downstream_count"] == 2 and out["max_depth"] == 2
    assert [{k: d[k] for k in ("node_id", "depth", "via")} for d in out["descendants"]] == [
        {"node_id": 101, "depth": 1, "via": 100}, {"node_id": 102, "depth": 2, "via": 101}]
    assert out["descendants"][0]["node_name"] == "n101" and out["descendants"][0]["owner_name"] is None
    for key in ("cross_project_count", "baseline_ids", "high_priority_count", "owners", "paused_count",
                "skipped_count", "unknown", "by_project", "by_depth"):
        assert key in out


def test_node_info_and_columns():
    g = LineageGraph.from_records([node(5, priority=None, baseline_id=3), node(2, listed=False)], [(2, 5)])
    assert g.node(5) == NodeInfo(node_id=5, node_name="n5", project_id=1, owner_id="ann", priority=None,
                                 baseline_id=3, scheduler_type="NORMAL", cron_express="00 10 00 * * ?",
                                 program_type=None, listed=True)
    assert g.column("node_id").tolist() == [2, 5]                  # positions follow node_id order
    assert g.column("priority").tolist() == [1, -1]
    assert g.column("baseline_id").tolist() == [-1, 3]
    assert g.column("listed").tolist() == [False, True]
    assert g.column("scheduler_type").tolist() == ["NORMAL", "NORMAL"]
    assert 5 in g and 6 not in g and "x" not in g
    with pytest.raises(UnknownNodeError) as err:
        g.node(6)
    assert err.value.node_ids == (6,)
    with pytest.raises(KeyError):
        g.column("nope")


def test_ancestors_walk_the_reverse_edges():
    g = chain(4)
    up = g.ancestors([104])
    assert g.node_ids(up.idx).tolist() == [103, 102, 101, 100] and up.depth.tolist() == [1, 2, 3, 4]
    assert g.node_ids(up.via).tolist() == [104, 103, 102, 101]


def test_edges_naming_unknown_nodes_are_refused():
    with pytest.raises(UnknownNodeError):
        LineageGraph.from_records([node(1)], [(1, 2)])


def test_run_history_medians_last_success_and_history():
    day = date(2026, 11, 1)

    def run(node_id, bizdate, seconds, status="SUCCESS"):
        begin = int(datetime(2026, 11, 2, tzinfo=UTC).timestamp() * 1000)
        return {"node_id": node_id, "bizdate": bizdate, "status": status, "begin_running_time": begin,
                "finish_time": begin + seconds * 1000}

    instances = [run(1, day, 10), run(1, date(2026, 11, 2), 30), run(1, date(2026, 11, 3), 20),
                 run(1, date(2026, 11, 4), 999, "FAILURE"), run(2, day, 7, "FAILURE")]
    g = LineageGraph.from_records([node(1, program_type="SQL"), node(2), node(3, program_type="SQL")], [],
                                  instances=instances)
    median = g.median_runtime_seconds()
    assert median[0] == 20.0 and median[1] == 7.0 and np.isnan(median[2])   # failures count only without successes
    assert g.fallback_runtime_seconds()[2] == 20.0
    assert g.last_success_bizdate(1) == date(2026, 11, 3) and g.last_success_bizdate(2) is None
    assert g.instance_history(1)[-1] == (date(2026, 11, 4), "FAILURE") and len(g.instance_history(1)) == 4
    assert g.instance_history(3) == [] and g.history_to == date(2026, 11, 4)


def test_networkx_face_carries_node_attributes_and_agrees_with_the_index():
    g = LineageGraph.from_records([node(1), node(2, priority=None), node(3)], [(1, 2), (2, 3)])
    dg = g.to_networkx()
    assert dg is g.to_networkx()                                   # built once
    assert dg.nodes[2]["priority"] is None and dg.nodes[1]["node_name"] == "n1"
    assert nx.descendants(dg, 1) == set(g.node_ids(g.descendants([1]).idx).tolist())
