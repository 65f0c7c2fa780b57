"""backfill-data checks on hand-built graphs: exact instance counts, dry-run, selection, future dates."""

from __future__ import annotations

from datetime import date, timedelta

from evaluator.evaluate import evaluate
from evaluator.events import parse_event
from evaluator.policy import parse_policy
from evaluator.verdict import TIP_LIMIT, Status
from tests.evaluator.helpers import NOW, backfill, chain, graph, node, runs

THREE_DAYS = [("2026-11-01", "2026-11-03")]


def run(g, data, policy=None):
    return evaluate(parse_event(data), g, policy, now=NOW)


def test_daily_chain_over_three_bizdates_counts_exact_instances():
    verdict = run(graph(*chain(3)), backfill(1, THREE_DAYS, include=[1, 2, 3, 4]))
    assert verdict.backfill["run_instance_count"] == 12 and verdict.backfill["instance_count"] == 12
    assert verdict.backfill["bizdate_count"] == 3 and verdict.backfill["node_count"] == 4
    assert verdict.backfill["downstream_not_included_count"] == 0
    volume = verdict.checkpoint("backfill-volume")
    assert volume.status is Status.OK and volume.message == "backfill runs 12 instances (4 nodes x 3 bizdates)"
    assert verdict.result is Status.OK and verdict.tip.startswith("OK: backfill runs 12 instances")


def test_hourly_node_runs_24_instances_per_bizdate_and_overlaps_count_once():
    nodes, edges = chain(1)
    nodes[1]["cron_express"] = "00 15 * * * ?"
    data = backfill(1, [("2026-11-01", "2026-11-02"), ("2026-11-02", "2026-11-03")], include=[1, 2])
    assert run(graph(nodes, edges), data).backfill["run_instance_count"] == 3 * (1 + 24)


def test_excluded_nodes_dry_run_and_feeding_a_running_node_is_flagged():
    verdict = run(graph(*chain(3)), backfill(1, THREE_DAYS, include=[1, 2, 3, 4], exclude=[2]))
    assert verdict.backfill["run_instance_count"] == 9 and verdict.backfill["instance_count"] == 12
    assert verdict.backfill["dry_run_node_count"] == 1
    needed = verdict.checkpoint("backfill-excluded-needed")
    assert needed.status is Status.WARN and needed.facts["needed"] == {2: [3]}
    assert "1 excluded node (n2) feed 1 selected node that run on inputs the backfill did not rebuild" in needed.message
    assert "+3 dry-run" in verdict.checkpoint("backfill-volume").message


def test_excluded_leaf_is_not_needed():
    verdict = run(graph(*chain(3)), backfill(1, THREE_DAYS, include=[1, 2, 3, 4], exclude=[4]))
    assert verdict.checkpoint("backfill-excluded-needed").status is Status.OK


def test_dry_run_chains_pass_the_need_upwards():
    verdict = run(graph(*chain(3)), backfill(1, THREE_DAYS, include=[1, 2, 3, 4], exclude=[2, 3]))
    assert verdict.checkpoint("backfill-excluded-needed").facts["needed"] == {2: [], 3: [4]}


def test_missing_include_assumes_root_and_all_downstream_and_says_so_in_the_tip():
    verdict = run(graph(*chain(3)), backfill(1, THREE_DAYS))
    assert verdict.backfill["node_count"] == 4 and verdict.backfill["run_instance_count"] == 12
    selection = verdict.checkpoint("backfill-selection")
    assert selection.status is Status.WARN and selection.facts["assumed"] is True
    assert "includeNodeIds missing: assumed root n1 + all downstream (4 nodes)" in verdict.tip
    assert verdict.tip.startswith("WARNING: includeNodeIds missing")
    assert verdict.notes == ("includeNodeIds missing: assumed root n1 + all downstream (4 nodes)",)


def test_empty_include_is_said_too_even_when_the_selection_rule_is_off():
    policy = parse_policy("[backfill-selection]\nenabled = false\n")
    verdict = run(graph(*chain(3)), backfill(1, THREE_DAYS, include=[]), policy)
    assert "includeNodeIds empty: assumed root n1 + all downstream" in verdict.tip


def test_descendants_left_out_keep_stale_data():
    verdict = run(graph(*chain(3)), backfill(1, THREE_DAYS, include=[1]))
    stale = verdict.checkpoint("backfill-stale-downstream")
    assert stale.status is Status.WARN and stale.facts["downstream_not_included_count"] == 3
    assert "3 descendants of the selection not included keep stale data: n2, n3, n4" in stale.message


def test_future_bizdates_started_immediately_warn_waiting_ones_do_not():
    today = date(2026, 11, 20)
    periods = [("2026-11-18", (today + timedelta(days=1)).isoformat())]
    waiting = run(graph(*chain(1)), backfill(1, periods, include=[1, 2]))
    future = waiting.checkpoint("backfill-future-bizdates")
    assert future.status is Status.OK and future.facts["future_bizdates"] == [today, today + timedelta(days=1)]
    now = run(graph(*chain(1)), backfill(1, periods, include=[1, 2], startFutureInstanceImmediately=True))
    assert now.checkpoint("backfill-future-bizdates").status is Status.WARN
    assert "2 bizdates today or later (2026-11-20, 2026-11-21) start immediately" in now.tip


def test_parallelism_is_groups_times_instances_per_bizdate():
    g = graph([node(0)] + [node(i) for i in range(1, 200)], [(0, i) for i in range(1, 200)])
    data = backfill(0, [("2026-11-01", "2026-11-10")], isParallel=True, parallelGroup=4)
    checkpoint = run(g, data).checkpoint("backfill-parallelism")
    assert checkpoint.facts["concurrent_instances"] == 4 * 200 and checkpoint.status is Status.WARN
    serial = run(g, backfill(0, [("2026-11-01", "2026-11-10")], parallelGroup=4))
    assert serial.checkpoint("backfill-parallelism").facts["concurrent_instances"] == 200


def test_span_over_a_month_warns_over_a_year_fails():
    assert run(graph(*chain(1)), backfill(1, [("2026-10-01", "2026-11-01")], include=[1])) \
        .checkpoint("backfill-span").status is Status.WARN
    verdict = run(graph(*chain(1)), backfill(1, [("2025-01-01", "2025-01-02"), ("2026-01-01", "2026-01-05")],
                                             include=[1]))
    span = verdict.checkpoint("backfill-span")
    assert span.status is Status.FAIL and span.facts["span_days"] == 370 and span.facts["bizdate_count"] == 7


def test_volume_and_hours_thresholds():
    nodes = [node(0)] + [node(i) for i in range(1, 100)]
    history = [r for i in range(100) for r in runs(i, [date(2026, 11, 1)], minutes=30)]
    g = graph(nodes, [(0, i) for i in range(1, 100)], instances=history)
    verdict = run(g, backfill(0, [("2026-10-01", "2026-10-30")]))   # 100 nodes x 30 bizdates
    assert verdict.checkpoint("backfill-volume").status is Status.WARN          # 3,000 >= 2,000
    hours = verdict.checkpoint("backfill-hours")
    assert hours.facts["estimated_hours"] == 1500.0 and hours.status is Status.FAIL
    assert verdict.result is Status.FAIL and len(verdict.tip) <= TIP_LIMIT


def test_hours_say_how_many_nodes_had_no_history():
    checkpoint = run(graph(*chain(1)), backfill(1, THREE_DAYS, include=[1, 2])).checkpoint("backfill-hours")
    assert checkpoint.facts["nodes_without_history"] == 2 and "2 nodes without history" in checkpoint.message


def test_unknown_root_never_crashes():
    verdict = run(graph(*chain(1)), backfill(999, THREE_DAYS))
    assert verdict.checkpoint("unknown-nodes").facts["unknown"] == [999]
    assert all("could not be evaluated" not in c.message for c in verdict.checkpoints)


def test_the_verdict_carries_the_wall_clock_of_the_events_parallel_groups():
    """1 → 2 → 3 → 4, each 30 min: a bizdate's critical path is 2 h; 5 bizdates in 2 groups (3 + 2) take 6 h."""
    history = [r for i in (1, 2, 3, 4) for r in runs(i, [date(2026, 10, 1)], minutes=30)]
    g = graph(*chain(3), instances=history)
    five = [("2026-11-01", "2026-11-05")]
    grouped = run(g, backfill(1, five, include=[1, 2, 3, 4], isParallel=True, parallelGroup=2))
    assert grouped.backfill["estimated_hours"] == 10.0                          # 4 nodes x 5 bizdates x 30 min
    assert grouped.backfill["estimated_wall_clock_hours"] == 6.0
    assert grouped.backfill["critical_path"] == [1, 2, 3, 4] and grouped.backfill["critical_path_hours"] == 2.0
    hours = grouped.checkpoint("backfill-hours")
    assert hours.facts["estimated_wall_clock_hours"] == 6.0 and hours.status is Status.OK
    assert "~6.0 h on the clock (2 parallel groups, critical path ~2.0 h a bizdate through 4 nodes)" in hours.message
    serial = run(g, backfill(1, five, include=[1, 2, 3, 4], isParallel=False, parallelGroup=2))
    assert serial.backfill["estimated_wall_clock_hours"] == 10.0                # parallelGroup ignored when not parallel


def test_selection_names_included_and_excluded_ids_outside_the_roots_downstream():
    nodes, edges = chain(2)
    g = graph(nodes + [node(9)], edges)
    verdict = run(g, backfill(1, THREE_DAYS, include=[1, 2, 9], exclude=[9]))
    selection = verdict.checkpoint("backfill-selection")
    assert selection.facts["include_outside_downstream"] == [9] and selection.facts["exclude_outside_downstream"] == [9]
    assert selection.status is Status.OK
    assert selection.message.endswith("; 1 included node outside the root's downstream (n9); "
                                      "1 excluded node outside the root's downstream (n9)")
    assert verdict.backfill["include_outside_downstream"] == [9]
    assert "outside" not in run(g, backfill(1, THREE_DAYS, include=[1, 2])).checkpoint("backfill-selection").message
