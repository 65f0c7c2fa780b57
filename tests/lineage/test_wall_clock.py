"""The backfill wall-clock estimate on hand-built DAGs whose critical paths are worked out by hand.

    1 (10 min) ──► 2 (30) ──► 5 (5) ──────────────┐
      │                                           ▼
      ├──────────► 3 (50) ──► 6 (10) ──────────► 7 (20)
      └──────────► 4 (5) ───────┘
    8 (60) ──► 6          (8 is not downstream of 1)

Finishes from 1: 1 = 10, 2 = 40, 3 = 60, 4 = 15, 5 = 45, 6 = max(60, 15) + 10 = 70, 7 = max(45, 70) + 20 = 90:
the critical path is 1 → 3 → 6 → 7, 90 minutes a bizdate.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from lineage.backfill import BackfillRequest, BizdatePeriod, estimate_backfill
from lineage.critical_path import critical_path, longest_finish, sub_dag
from lineage.daybins import CYCLE_DAYS, N_BINS, bins_of_run
from lineage.graph import LineageGraph
from lineage.wall_clock import group_sums, group_sums_listed

MINUTES = {1: 10, 2: 30, 3: 50, 4: 5, 5: 5, 6: 10, 7: 20, 8: 60}
EDGES = [(1, 2), (1, 3), (1, 4), (2, 5), (3, 6), (4, 6), (5, 7), (6, 7), (8, 6)]
DAILY = "00 10 00 * * ?"
MONDAYS = "00 00 03 ? * 1"      # DataWorks weekday 1 = Monday


def history(node_id: int, minutes: float) -> list[dict]:
    begin = int(datetime(2026, 10, 1, 2, tzinfo=UTC).timestamp() * 1000)
    return [{"node_id": node_id, "bizdate": date(2026, 10, 1), "status": "SUCCESS", "begin_running_time": begin,
             "finish_time": begin + int(minutes * 60_000)}]


def dag(cron: dict[int, str] | None = None, without_history: tuple[int, ...] = (),
        program: dict[int, str] | None = None) -> LineageGraph:
    nodes = [{"node_id": n, "node_name": f"n{n}", "cron_express": (cron or {}).get(n, DAILY),
              "program_type": (program or {}).get(n)} for n in MINUTES]
    runs = [r for n, m in MINUTES.items() if n not in without_history for r in history(n, m)]
    return LineageGraph.from_records(nodes, EDGES, instances=runs)


def period(first: str, days: int) -> tuple[BizdatePeriod, ...]:
    begin = date.fromisoformat(first)
    return (BizdatePeriod(begin, begin + timedelta(days=days - 1)),)


def estimate(graph: LineageGraph, periods: tuple[BizdatePeriod, ...], groups: int = 1, **request):
    return estimate_backfill(graph, BackfillRequest(1, periods, is_parallel=groups > 1, parallel_group=groups,
                                                    **request))


def test_critical_path_of_the_hand_built_dag_is_1_3_6_7():
    g = dag()
    sub = sub_dag(g, g.positions([1, 2, 3, 4, 5, 6, 7])[0])
    weights = np.array([MINUTES[n] for n in g.node_ids(sub.idx).tolist()], dtype=float)
    finish = longest_finish(sub, weights)
    assert dict(zip(g.node_ids(sub.idx).tolist(), finish.tolist())) == {1: 10, 2: 40, 3: 60, 4: 15, 5: 45, 6: 70,
                                                                        7: 90}
    assert g.node_ids(sub.idx[critical_path(g, sub, weights, finish)]).tolist() == [1, 3, 6, 7]


def test_one_bizdate_takes_its_critical_path_and_the_serial_sum_stays_the_compute_hours():
    e = estimate(dag(), period("2026-11-01", 1))
    w = e.wall_clock
    assert w.critical_path == (1, 3, 6, 7) and w.critical_path_names == ("n1", "n3", "n6", "n7")
    assert w.critical_path_hours == pytest.approx(90 / 60) and w.hours == pytest.approx(90 / 60)
    assert e.estimated_hours == pytest.approx(130 / 60)        # 10+30+50+5+5+10+20 minutes, one after another
    assert e.node_ids == (1, 2, 3, 4, 5, 6, 7)                 # 8 is not below the root


def test_bizdates_run_one_after_another_or_in_parallel_groups_of_consecutive_dates():
    g = dag()
    assert estimate(g, period("2026-11-01", 5)).wall_clock.hours == pytest.approx(5 * 1.5)
    grouped = estimate(g, period("2026-11-01", 5), groups=2).wall_clock     # groups of 3 and 2 bizdates
    assert grouped.hours == pytest.approx(3 * 1.5) and grouped.parallel_groups == 2
    assert grouped.longest_group_bizdates == 3
    wide = estimate(g, period("2026-11-01", 5), groups=40).wall_clock         # more groups than bizdates
    assert wide.hours == pytest.approx(1.5) and wide.parallel_groups == 5


def test_an_excluded_node_dry_runs_and_adds_nothing_to_the_path():
    e = estimate(dag(), period("2026-11-01", 1), include_ids=(1, 2, 3, 4, 5, 6, 7), exclude_ids=(3,))
    # 3 weighs 0: 6 = max(10, 15) + 10 = 25, 7 = max(45, 25) + 20 = 65 through 1 → 2 → 5 → 7
    assert e.wall_clock.critical_path == (1, 2, 5, 7) and e.wall_clock.hours == pytest.approx(65 / 60)


def test_a_weekly_node_lengthens_only_the_bizdates_whose_run_date_it_fires_on():
    e = estimate(dag(cron={3: MONDAYS}), period("2026-11-01", 7))   # run dates Mon 11-02 .. Sun 11-08
    per_bizdate = [s / 60 for s in e.wall_clock.per_listed_bizdate_seconds]
    assert per_bizdate == pytest.approx([90, 65, 65, 65, 65, 65, 65])    # bizdate 11-01 runs on Monday
    assert e.wall_clock.hours == pytest.approx((90 + 6 * 65) / 60)
    assert e.wall_clock.critical_path == (1, 3, 6, 7)                    # the longest bizdate's path


def test_coverage_counts_the_run_nodes_without_history_on_and_off_the_path():
    # 3 (a SHELL node) weighs the SHELL median, 8's 60 min; 4 the median of the untyped nodes 1 2 5 6 7: 10 min
    e = estimate(dag(without_history=(3, 4), program={3: "SHELL", 8: "SHELL"}), period("2026-11-01", 1))
    coverage = e.to_json()["wall_clock_coverage"]
    assert coverage == {"run_nodes": 7, "nodes_without_history": 2, "critical_path_nodes": 4,
                        "critical_path_without_history": 1, "parallel_groups": 1, "longest_group_bizdates": 1}
    assert e.wall_clock.critical_path == (1, 3, 6, 7)                    # 10 + 60 + 10 + 20 minutes
    assert e.wall_clock.hours == pytest.approx(100 / 60)


def test_the_backfill_object_gains_the_wall_clock_keys_and_keeps_the_design_ones():
    out = estimate(dag(), period("2026-11-01", 2), groups=2).to_json(include_nodes=True)
    design = {"node_count", "dry_run_node_count", "bizdate_count", "instance_count", "run_instance_count",
              "estimated_hours", "downstream_not_included_count"}
    assert design <= set(out)
    assert out["estimated_wall_clock_hours"] == 1.5 and out["critical_path"] == [1, 3, 6, 7]
    assert out["critical_path_names"] == ["n1", "n3", "n6", "n7"] and out["critical_path_hours"] == 1.5
    assert out["per_bizdate_critical_path_hours"] == [1.5, 1.5]


def test_ids_outside_the_roots_downstream_are_reported_not_silently_accepted():
    e = estimate(dag(), period("2026-11-01", 1), include_ids=(1, 2, 8), exclude_ids=(8, 7, 5))
    assert e.include_outside_downstream == (8,)
    assert e.exclude_outside_downstream == (8,)
    assert e.exclude_not_selected == (7, 5)      # below the root, but not in the include list: nothing to dry-run
    out = e.to_json()
    assert (out["include_outside_downstream"], out["exclude_outside_downstream"]) == ([8], [8])
    assert 8 in e.node_ids                       # still selected: DataWorks' advanced mode backfills unrelated nodes
    quiet = estimate(dag(), period("2026-11-01", 1), include_ids=(1, 2))
    assert quiet.include_outside_downstream == quiet.exclude_outside_downstream == quiet.exclude_not_selected == ()


def test_a_cycle_in_a_corrupt_snapshot_still_ends():
    nodes = [{"node_id": n, "cron_express": DAILY} for n in (1, 2, 3)]
    g = LineageGraph.from_records(nodes, [(1, 2), (2, 3), (3, 2)])
    w = estimate(g, period("2026-11-01", 3)).wall_clock
    assert np.isfinite(w.hours) and w.hours >= 3 * 600 / 3600


def test_many_kinds_of_bizdate_fold_into_a_longer_never_shorter_estimate():
    """A wide selection walks few kinds exactly; the folded ones fire where any of them does."""
    crons = {3: MONDAYS, 6: "00 00 03 ? * 2", 5: "00 00 03 ? * 3", 4: "00 00 03 ? * 4", 2: "00 00 03 1 * ?"}
    g = dag(cron=crons)
    exact = estimate(g, period("2026-11-01", 31))
    import lineage.wall_clock as wall_clock

    original = (wall_clock.MIN_PATTERN_COLUMNS, wall_clock.MAX_PATTERN_COLUMNS)
    try:
        wall_clock.MIN_PATTERN_COLUMNS = wall_clock.MAX_PATTERN_COLUMNS = 2
        folded = estimate(g, period("2026-11-01", 31))
    finally:
        wall_clock.MIN_PATTERN_COLUMNS, wall_clock.MAX_PATTERN_COLUMNS = original
    assert folded.wall_clock.hours > exact.wall_clock.hours
    assert folded.wall_clock.critical_path_hours >= exact.wall_clock.critical_path_hours
    assert exact.wall_clock.hours == pytest.approx(sum(exact.wall_clock.per_listed_bizdate_seconds) / 3600)


@pytest.mark.parametrize("spans, groups", [
    ([(739_000, 10), (739_020, 5)], 4),
    ([(739_000, 5000)], 3),
    ([(1, 3), (500, CYCLE_DAYS + 17), (300_000, 40)], 7),
])
def test_group_sums_over_the_calendar_cycle_equal_the_day_by_day_sums(spans, groups):
    per_bin = np.random.default_rng(1).random(N_BINS)
    days = np.concatenate([bins_of_run(first, n) for first, n in spans])
    assert group_sums(spans, per_bin, groups) == pytest.approx(group_sums_listed(per_bin[days], groups))


def test_a_span_longer_than_the_listed_bizdates_is_estimated_without_listing_it():
    e = estimate(dag(), (BizdatePeriod(date(2000, 1, 1), date(2029, 12, 31)),), groups=4)
    count = (date(2029, 12, 31) - date(2000, 1, 1)).days + 1
    assert e.bizdate_count == count and len(e.bizdates) < count
    assert e.wall_clock.hours == pytest.approx(-(-count // 4) * 1.5)


@pytest.mark.parametrize("groups", [20_000, 10**9])
def test_absurdly_many_groups_are_bounded_by_the_longest_bizdate(groups):
    e = estimate(dag(cron={3: MONDAYS}), (BizdatePeriod(date(2000, 1, 1), date(2029, 12, 31)),), groups=groups)
    assert e.wall_clock.parallel_groups == e.bizdate_count             # never more groups than bizdates
    assert e.wall_clock.hours == pytest.approx(1.5)                    # each bizdate alone: the longest is 90 min
