"""protected-nodes and backfill-frozen-nodes on hand-built graphs (the behaviour cases in tests/cases cover
the main paths; these pin the edges: exemptions, silence, what does not count, the tip)."""

from __future__ import annotations

import pytest

from evaluator.checks import CHECKS, check_name
from evaluator.checks.backfill_frozen_nodes import backfill_frozen_nodes
from evaluator.checks.protected_nodes import protected_nodes
from evaluator.evaluate import evaluate
from evaluator.events import parse_event
from evaluator.policy import PolicyError, default_policy, parse_policy
from tests.evaluator.helpers import NOW, backfill, chain, graph, node, op

PROTECT_5 = parse_policy("[protected]\nnodes = [5]\n")


def rule_checkpoint(check, data, g, policy=None):
    return check(parse_event(data), g, policy or default_policy(), NOW)


def test_nothing_protected_means_no_checkpoint():
    assert rule_checkpoint(protected_nodes, op("freeze-node", 1), graph(*chain(5))) is None
    assert "protected-nodes" not in {c.name for c in evaluate(parse_event(op("freeze-node", 1)), graph(*chain(5)),
                                                             now=NOW).checkpoints}


@pytest.mark.parametrize("code", ["freeze-node", "undeploy-node"])
def test_a_protected_descendant_fails_freeze_and_undeploy_with_its_path(code):
    cp = rule_checkpoint(protected_nodes, op(code, 2), graph(*chain(6)), PROTECT_5)
    assert cp.status.value == "FAIL" and cp.facts["paths"] == {5: [2, 3, 4, 5]} and "n5 (3 hops down)" in cp.message


def test_unfreeze_is_not_judged_and_a_node_beside_the_blast_radius_is_ok():
    g = graph(*chain(6))
    assert rule_checkpoint(protected_nodes, op("unfreeze-node", 1), g, PROTECT_5) is None
    beside = rule_checkpoint(protected_nodes, op("freeze-node", 6), g, PROTECT_5)
    assert beside.status.value == "OK" and "touches none of the 1 protected node" in beside.message


def test_the_frozen_nodes_own_baseline_counts():
    nodes, edges = chain(2)
    nodes[0]["baseline_id"] = 9
    policy = parse_policy("[protected]\nbaselines = [9]\n")
    cp = rule_checkpoint(protected_nodes, op("freeze-node", 1), graph(nodes, edges), policy)
    assert cp.status.value == "FAIL" and cp.facts["protected_baseline_ids"] == [9]


def test_an_exempt_operator_passes_and_the_facts_say_so():
    policy = parse_policy('[protected]\nnodes = [5]\n[protected-nodes]\nexempt_operators = ["oncall"]\n')
    cp = rule_checkpoint(protected_nodes, op("freeze-node", 1, operator="oncall"), graph(*chain(6)), policy)
    assert cp.status.value == "OK" and cp.facts["exempt"] and cp.facts["status_without_exemption"] == "FAIL"


def test_protected_ids_missing_from_the_snapshot_are_reported_not_ignored():
    cp = rule_checkpoint(protected_nodes, op("freeze-node", 1), graph(*chain(3)), parse_policy("[protected]\nnodes = [3, 404]\n"))
    assert cp.facts["protected_not_in_snapshot"] == [404] and cp.facts["protected_node_ids"] == [3]


def test_the_tip_names_the_protected_node_first_even_among_other_failures():
    nodes, edges = chain(300)      # 300 live descendants also fail downstream-blocked
    verdict = evaluate(parse_event(op("freeze-node", 1)), graph(nodes, edges),
                       parse_policy("[protected]\nnodes = [250]\n"), now=NOW)
    assert verdict.result.value == "FAIL" and check_name(CHECKS[0]) == "protected-nodes"
    assert verdict.tip.startswith("FAIL: freezing n1 blocks 1 protected node: n250 (249 hops down)")


def test_a_backfill_selected_node_not_below_the_root_explains_as_selected():
    g = graph([node(1), node(2), node(7)], [(1, 2)])
    cp = rule_checkpoint(protected_nodes, backfill(1, [("2026-11-01", "2026-11-01")], include=[1, 2, 7]), g,
               parse_policy("[protected]\nnodes = [7, 2]\n"))
    assert cp.facts["paths"] == {2: [1, 2], 7: [7]} and "n2 (1 hop below the root)" in cp.message


def test_protected_lists_are_validated_with_the_line():
    with pytest.raises(PolicyError) as err:
        parse_policy('\n[protected]\nnodes = ["ods_a"]\n', "p.toml")
    assert err.value.line == 3 and err.value.key == "protected.nodes"
    with pytest.raises(PolicyError):
        parse_policy("[protected]\nnodes = [-1]\n")


def test_extension_options_add_protected_nodes_but_never_remove_one():
    policy = parse_policy("use_extension_options = true\n[protected]\nnodes = [5]\n")
    widened = policy.for_project(1, '{"protected": {"nodes": [7]}, "protected.baselines": [9]}')
    assert widened.protected_nodes == {5, 7} and widened.protected_baselines == {9}
    assert policy.for_project(1, '{"protected": {"nodes": []}}').protected_nodes == {5}


# -- backfill-frozen-nodes ------------------------------------------------------------------------------------
def test_a_backfill_without_frozen_nodes_is_ok():
    cp = rule_checkpoint(backfill_frozen_nodes, backfill(1, [("2026-11-01", "2026-11-01")]), graph(*chain(3)))
    assert cp.status.value == "OK" and cp.message == "no frozen or dry-run node among the selected nodes"


def test_below_a_frozen_node_counts_only_selected_nodes_and_frozen_beats_stale():
    # 1 → 2(PAUSE) → 3 → 4(SKIP) → 5 ; 2 → 6 not selected: 3 and 5 are blocked (under 2), none runs stale
    g = graph([node(1), node(2, scheduler_type="PAUSE"), node(3), node(4, scheduler_type="SKIP"), node(5), node(6)],
              [(1, 2), (2, 3), (3, 4), (4, 5), (2, 6)])
    cp = rule_checkpoint(backfill_frozen_nodes, backfill(1, [("2026-11-01", "2026-11-03")], include=[1, 2, 3, 4, 5]), g)
    assert cp.status.value == "WARN" and cp.facts["measure"] == 2
    assert cp.facts["blocked_below_node_ids"].tolist() == [3, 4, 5] and cp.facts["stale_input_count"] == 0


def test_a_workspace_can_make_frozen_nodes_in_a_backfill_fail():
    policy = parse_policy("[projects.215001.backfill-frozen-nodes]\nfail = 1\n")
    g = graph([node(1), node(2, scheduler_type="PAUSE")], [(1, 2)])
    verdict = evaluate(parse_event(backfill(1, [("2026-11-01", "2026-11-01")], include=[1, 2])), g, policy, now=NOW)
    assert verdict.checkpoint("backfill-frozen-nodes").status.value == "FAIL" and verdict.result.value == "FAIL"
