"""unfreeze-node: the catch-up burst, computed from run history and crons."""

from __future__ import annotations

from datetime import date, timedelta

from evaluator.evaluate import evaluate
from evaluator.events import parse_event
from evaluator.verdict import Status
from tests.evaluator.helpers import NOW, chain, graph, node, op, runs

# NOW is 2026-11-20 10:14 in UTC+8: the newest bizdate that ran is 2026-11-19.
HISTORY = [date(2026, 11, 10) + timedelta(days=d) for d in range(7)]   # successes up to 2026-11-16


def unfreeze(g, *ids):
    return evaluate(parse_event(op("unfreeze-node", *ids)), g, now=NOW)


def test_catch_up_counts_missed_bizdates_times_fires_of_node_and_descendants():
    nodes, edges = chain(3)
    nodes[0]["scheduler_type"] = "PAUSE"
    nodes[3]["cron_express"] = "00 15 * * * ?"  # hourly: 24 a day
    g = graph(nodes, edges, instances=runs(1, HISTORY))
    checkpoint = unfreeze(g, 1).checkpoint("unfreeze-catch-up")
    # missed 2026-11-17, -18, -19: 3 x (1 + 1 + 1 + 24)
    assert checkpoint.facts["run_instances"] == 81
    assert checkpoint.facts["missed_bizdates"] == {1: [date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19)]}
    assert checkpoint.status is Status.OK
    assert "releases ~81 catch-up instances at once: 3 missed bizdates since 2026-11-17 x 4 nodes" in checkpoint.message


def test_no_missed_bizdate_means_no_burst():
    g = graph(*chain(2), instances=runs(1, [date(2026, 11, 19)]))
    checkpoint = unfreeze(g, 1).checkpoint("unfreeze-catch-up")
    assert checkpoint.facts["run_instances"] == 0 and checkpoint.status is Status.OK


def test_descendants_below_another_frozen_node_stay_blocked():
    nodes, edges = chain(4)
    nodes[2]["scheduler_type"] = "PAUSE"
    g = graph(nodes, edges, instances=runs(1, HISTORY))
    facts = unfreeze(g, 1).checkpoint("unfreeze-catch-up").facts
    assert facts["still_blocked"] == 3 and facts["run_instances"] == 3 * 2


def test_dry_run_descendants_are_counted_apart():
    nodes, edges = chain(2)
    nodes[2]["scheduler_type"] = "SKIP"
    facts = unfreeze(graph(nodes, edges, instances=runs(1, HISTORY)), 1).checkpoint("unfreeze-catch-up").facts
    assert (facts["run_instances"], facts["dry_run_instances"]) == (3 * 2, 3)


def test_large_burst_warns_and_names_baselines_at_risk():
    nodes = [node(0)] + [node(i, cron_express="00 00/10 * * * ?") for i in range(1, 5)]  # 144 a day each
    g = graph(nodes, [(0, i) for i in range(1, 5)], instances=runs(0, HISTORY), baselines={90001: [3]})
    verdict = unfreeze(g, 0)
    assert verdict.checkpoint("unfreeze-catch-up").facts["run_instances"] == 3 * (1 + 4 * 144)
    assert verdict.checkpoint("unfreeze-catch-up").status is Status.WARN
    risk = verdict.checkpoint("unfreeze-baselines-at-risk")
    assert risk.status is Status.WARN and risk.facts["baseline_ids"].tolist() == [90001]


def test_history_without_success_counts_from_its_start_and_says_so():
    g = graph(*chain(1), instances=runs(1, HISTORY, status="FAILURE"))
    checkpoint = unfreeze(g, 1).checkpoint("unfreeze-catch-up")
    assert checkpoint.facts["run_instances"] == 10 * 2 and "at least" in checkpoint.message


def test_no_history_says_the_burst_is_unknown():
    checkpoint = unfreeze(graph(*chain(1)), 1).checkpoint("unfreeze-catch-up")
    assert checkpoint.facts["without_history"] == (1,) and "burst unknown" in checkpoint.message


def test_unreadable_cron_counts_as_daily():
    nodes, edges = chain(1)
    nodes[1]["cron_express"] = "every day please"
    facts = unfreeze(graph(nodes, edges, instances=runs(1, HISTORY)), 1).checkpoint("unfreeze-catch-up").facts
    assert facts["unreadable_cron"] == 1 and facts["run_instances"] == 6
