"""unreadable-workspaces: a verdict whose downstream reaches a workspace the sync could not read says so."""

from __future__ import annotations

from evaluator.evaluate import evaluate
from evaluator.events import parse_event
from evaluator.policy import parse_policy
from evaluator.verdict import Status
from lineage.graph import LineageGraph
from tests.evaluator.helpers import NOW, OPERATOR, SYNCED, backfill, node, op

OTHER, LOCKED = 215020, 215030  # a readable workspace, and one the sync got 403 from

# 1 -> 2 -> 3 (in LOCKED: its children are unknown); 1 -> 4 (OTHER); 5 -> 6 stays home
NODES = [node(1), node(2), node(3, project_id=LOCKED), node(4, project_id=OTHER), node(5), node(6)]
EDGES = [(1, 2), (2, 3), (1, 4), (5, 6)]


def graph(unreadable=(LOCKED,)) -> LineageGraph:
    return LineageGraph.from_records(NODES, EDGES, snapshot_id="test", synced_at=SYNCED,
                                     unreadable_project_ids=unreadable)


def rule_checkpoint(data, g=None, policy=None):
    return evaluate(parse_event(data), g or graph(), policy, now=NOW)


def test_a_freeze_reaching_an_unreadable_workspace_warns_naming_it():
    verdict = rule_checkpoint(op("freeze-node", 1))
    checkpoint = verdict.checkpoint("unreadable-workspaces")
    assert checkpoint.status is Status.WARN
    assert f"({LOCKED})" in checkpoint.message and "may be low" in checkpoint.message
    assert checkpoint.facts["reached_project_ids"] == [LOCKED]
    assert checkpoint.facts["frontier_node_ids"].tolist() == [3]
    assert verdict.result is Status.WARN and verdict.tip.startswith(f"WARNING: 1 node at or below the operation is in "
                                                                     f"1 workspace opsguard cannot read ({LOCKED})")


def test_undeploy_and_backfill_reaching_it_warn_too():
    for data in (op("undeploy-node", 2), backfill(1, [("2026-11-01", "2026-11-02")])):
        assert rule_checkpoint(data).checkpoint("unreadable-workspaces").status is Status.WARN


def test_a_node_inside_the_unreadable_workspace_warns():
    assert rule_checkpoint(op("freeze-node", 3)).checkpoint("unreadable-workspaces").facts["reached_project_ids"] == [LOCKED]


def test_a_downstream_that_stays_readable_is_ok_and_says_what_was_unreadable():
    checkpoint = rule_checkpoint(op("freeze-node", 5)).checkpoint("unreadable-workspaces")
    assert checkpoint.status is Status.OK
    assert checkpoint.message.startswith("the downstream stays in readable workspaces") and str(LOCKED) in checkpoint.message


def test_silent_when_the_sync_read_every_workspace():
    verdict = rule_checkpoint(op("freeze-node", 1), graph(unreadable=()))
    assert "unreadable-workspaces" not in {c.name for c in verdict.checkpoints}


def test_exempt_operators_and_a_disabled_rule_are_honoured():
    policy = parse_policy(f'[unreadable-workspaces]\nexempt_operators = ["{OPERATOR}"]\n')
    checkpoint = rule_checkpoint(op("freeze-node", 1), policy=policy).checkpoint("unreadable-workspaces")
    assert checkpoint.status is Status.OK and checkpoint.facts["exempt"]
    off = parse_policy("[unreadable-workspaces]\nenabled = false\n")
    assert "unreadable-workspaces" not in {c.name for c in rule_checkpoint(op("freeze-node", 1), policy=off).checkpoints}
