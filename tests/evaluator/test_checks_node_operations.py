"""Checks of freeze-node and undeploy-node on hand-built graphs whose answer is known by construction."""

from __future__ import annotations

from evaluator.evaluate import evaluate
from evaluator.events import parse_event
from evaluator.policy import parse_policy
from evaluator.verdict import Status
from tests.evaluator.helpers import NOW, OPERATOR, chain, graph, node, op


def rule_checkpoint(g, data, policy=None):
    return evaluate(parse_event(data), g, policy, now=NOW)


def test_freeze_above_a_chain_of_ten_blocks_ten_at_depth_ten():
    g = graph(*chain(10))
    verdict = rule_checkpoint(g, op("freeze-node", 1))
    blocked = verdict.checkpoint("downstream-blocked")
    assert blocked.status is Status.WARN
    assert (blocked.facts["live"], blocked.facts["max_depth"], blocked.facts["downstream"]) == (10, 10, 10)
    assert blocked.facts["blocked_node_ids"].tolist() == list(range(2, 12))
    assert verdict.impact["downstream_count"] == 10 and verdict.impact["max_depth"] == 10
    assert verdict.result is Status.WARN and verdict.wire_result == "OK"
    assert verdict.tip.startswith("WARNING: freezing n1 blocks 10 live downstream nodes (depth 10): n2, n3, n4 +7 more")


def test_freeze_of_a_leaf_is_ok():
    verdict = rule_checkpoint(graph(*chain(3)), op("freeze-node", 4))
    assert verdict.result is Status.OK
    assert verdict.tip == "OK: freezing n4 blocks no live downstream node"
    assert verdict.impact["downstream_count"] == 0


def test_diamond_descendants_are_counted_once():
    g = graph([node(i) for i in range(1, 5)], [(1, 2), (1, 3), (2, 4), (3, 4)])
    facts = rule_checkpoint(g, op("freeze-node", 1)).checkpoint("downstream-blocked").facts
    assert (facts["live"], facts["max_depth"]) == (3, 2)


def test_frozen_and_dry_run_descendants_are_reported_apart_from_live_ones():
    nodes, edges = chain(4)
    nodes[2]["scheduler_type"] = "PAUSE"
    nodes[3]["scheduler_type"] = "SKIP"
    blocked = rule_checkpoint(graph(nodes, edges), op("freeze-node", 1)).checkpoint("downstream-blocked")
    assert (blocked.facts["live"], blocked.facts["frozen"], blocked.facts["dry_run"]) == (2, 1, 1)
    assert "also 1 frozen, 1 dry-run" in blocked.message
    assert blocked.facts["frozen_node_ids"].tolist() == [3] and blocked.facts["dry_run_node_ids"].tolist() == [4]


def test_several_nodes_count_the_union_of_descendants_minus_themselves():
    g = graph(*chain(5))
    facts = rule_checkpoint(g, op("freeze-node", 1, 3)).checkpoint("downstream-blocked").facts
    assert facts["live"] == 4 and facts["blocked_node_ids"].tolist() == [2, 4, 5, 6]


def test_two_hundred_live_descendants_fail_unless_the_operator_is_exempt():
    g = graph([node(0)] + [node(i) for i in range(1, 201)], [(0, i) for i in range(1, 201)])
    assert rule_checkpoint(g, op("freeze-node", 0)).checkpoint("downstream-blocked").status is Status.FAIL
    exempt = parse_policy(f'[downstream-blocked]\nexempt_operators = ["{OPERATOR}"]\n')
    checkpoint = rule_checkpoint(g, op("freeze-node", 0), exempt).checkpoint("downstream-blocked")
    assert checkpoint.status is Status.OK and checkpoint.facts["exempt"] is True
    assert checkpoint.facts["status_without_exemption"] == "FAIL" and "is exempt" in checkpoint.message


def test_high_priority_descendants_named_highest_first():
    nodes, edges = chain(4)
    nodes[2]["priority"] = 7
    nodes[4]["priority"] = 8
    checkpoint = rule_checkpoint(graph(nodes, edges), op("freeze-node", 1)).checkpoint("high-priority-downstream")
    assert checkpoint.status is Status.WARN and checkpoint.facts["count"] == 2
    assert checkpoint.facts["by_priority"] == {8: 1, 7: 1}
    assert "2 live high-priority nodes (>= 7) downstream: n5, n3" in checkpoint.message


def test_frozen_high_priority_descendants_do_not_count():
    nodes, edges = chain(2)
    nodes[2].update(priority=8, scheduler_type="PAUSE")
    assert rule_checkpoint(graph(nodes, edges), op("freeze-node", 1)).checkpoint("high-priority-downstream").facts["count"] == 0


def test_any_baseline_below_or_on_the_node_fails():
    g = graph(*chain(3), baselines={90001: [3]})
    checkpoint = rule_checkpoint(g, op("freeze-node", 1)).checkpoint("baselines-downstream")
    assert checkpoint.status is Status.FAIL and checkpoint.facts["baseline_ids"].tolist() == [90001]
    nodes, edges = chain(1)
    nodes[0]["baseline_id"] = 90002
    own = rule_checkpoint(graph(nodes, edges), op("freeze-node", 1)).checkpoint("baselines-downstream")
    assert own.facts["own_baseline_ids"].tolist() == [90002] and own.status is Status.FAIL


def test_descendants_in_other_workspaces():
    nodes, edges = chain(3)
    nodes[2]["project_id"] = 9
    nodes[3]["project_id"] = 9
    checkpoint = rule_checkpoint(graph(nodes, edges), op("freeze-node", 1)).checkpoint("cross-workspace-downstream")
    assert checkpoint.status is Status.WARN and checkpoint.facts["by_project"] == {9: 2}
    assert "2 live downstream nodes in 1 other workspace (9: 2)" in checkpoint.message


def test_owners_other_than_the_operator():
    nodes, edges = chain(3)
    nodes[2]["owner_id"] = "bob"
    nodes[3]["owner_id"] = "bob"
    checkpoint = rule_checkpoint(graph(nodes, edges), op("freeze-node", 1)).checkpoint("other-owners-downstream")
    assert checkpoint.facts["owners"] == {"bob": 2} and "bob (2)" in checkpoint.message
    own = rule_checkpoint(graph(*chain(3)), op("freeze-node", 1)).checkpoint("other-owners-downstream")
    assert own.status is Status.OK


def test_unknown_nodes_never_crash_and_are_reported():
    verdict = rule_checkpoint(graph(*chain(2)), op("freeze-node", 1, 999))
    unknown = verdict.checkpoint("unknown-nodes")
    assert unknown.status is Status.WARN and unknown.facts["unknown"] == [999]
    assert verdict.checkpoint("downstream-blocked").facts["live"] == 2
    only_unknown = rule_checkpoint(graph(*chain(2)), op("undeploy-node", 999))
    assert only_unknown.checkpoint("downstream-orphaned").status is Status.OK
    assert "999" in only_unknown.tip


def test_undeploy_with_live_children_fails_listing_them():
    g = graph([node(0)] + [node(i) for i in range(1, 11)] + [node(11)], [(0, i) for i in range(1, 11)] + [(1, 11)])
    verdict = rule_checkpoint(g, op("undeploy-node", 0))
    orphaned = verdict.checkpoint("downstream-orphaned")
    assert orphaned.status is Status.FAIL and verdict.result is Status.FAIL and verdict.wire_result == "FAIL"
    assert orphaned.facts["live_orphaned_children"].tolist() == list(range(1, 11))
    assert orphaned.facts["live"] == 11
    assert "orphans 10 live children: n1, n2, n3 +7 more and cuts off 1 more live node below" in orphaned.message
    assert verdict.tip.startswith("FAIL: undeploying n0 orphans 10 live children")


def test_undeploy_of_a_leaf_or_above_frozen_children_only_is_ok():
    assert rule_checkpoint(graph(*chain(2)), op("undeploy-node", 3)).checkpoint("downstream-orphaned").status is Status.OK
    nodes, edges = chain(1)
    nodes[1]["scheduler_type"] = "PAUSE"
    checkpoint = rule_checkpoint(graph(nodes, edges), op("undeploy-node", 1)).checkpoint("downstream-orphaned")
    assert checkpoint.status is Status.OK and checkpoint.facts["frozen"] == 1


def test_undeploy_of_parent_and_child_together_orphans_only_what_is_left():
    checkpoint = rule_checkpoint(graph(*chain(2)), op("undeploy-node", 1, 2)).checkpoint("downstream-orphaned")
    assert checkpoint.facts["live_orphaned_children"].tolist() == [3]


def test_freeze_checks_do_not_run_for_other_events():
    verdict = rule_checkpoint(graph(*chain(2)), op("unfreeze-node", 1))
    names = [c.name for c in verdict.checkpoints]
    assert "downstream-blocked" not in names and "downstream-orphaned" not in names
