"""bench/serve.py --runs: the last line sums up several runs."""

from __future__ import annotations


def test_runs_summary_counts_the_runs_that_met_every_target_and_takes_medians(bench_module):
    serve = bench_module("serve")
    runs = [{"targets_met": True, "accepted_per_s": 300.0, "accept_p99_ms": 12.0, "reported_p99_ms": 40.0,
             "cpu_ms_per_event": 3.9},
            {"targets_met": False, "accepted_per_s": 300.0, "accept_p99_ms": 58.5, "reported_p99_ms": 1199.7,
             "cpu_ms_per_event": 5.1},
            {"targets_met": True, "accepted_per_s": 299.9, "accept_p99_ms": 20.0, "reported_p99_ms": None,
             "cpu_ms_per_event": 4.2},
            {"targets_met": True, "accepted_per_s": 300.0, "accept_p99_ms": 30.0, "reported_p99_ms": 100.0}]
    summary = serve.runs_summary(runs)
    assert summary["runs"] == 4 and summary["targets_met_runs"] == 3
    assert summary["accept_p99_ms"] == {"runs": [12.0, 58.5, 20.0, 30.0], "median": 25.0}      # even: the mean of two
    assert summary["reported_p99_ms"] == {"runs": [40.0, 1199.7, None, 100.0], "median": 100.0}  # unknowns left out
    assert summary["cpu_ms_per_event"]["median"] == 4.2 and summary["accepted_per_s"]["median"] == 300.0
    assert serve.runs_summary([])["accept_p99_ms"] == {"runs": [], "median": None}


def _run(accept_p99: float, reported_p99: float | None, *, reported: int = 100, twice: int = 0) -> dict:
    return {"targets_met": accept_p99 <= 50 and (reported_p99 or 1e9) <= 250 and reported == 100 and not twice,
            "accepted_per_s": 300.0, "accept_p99_ms": accept_p99, "reported_p99_ms": reported_p99,
            "cpu_ms_per_event": 4.0, "reported": reported, "accepted_total": 100, "reported_more_than_once": twice}


def test_the_medians_meet_the_targets_when_most_runs_do_and_every_run_reported_each_event_once(bench_module):
    serve = bench_module("serve")
    one_slow = [_run(10.0, 30.0), _run(60.0, 900.0), _run(12.0, 40.0)]
    summary = serve.runs_summary(one_slow)
    assert summary["targets_met_runs"] == 2 and summary["medians_meet_targets"] is True
    assert serve.runs_summary([_run(10.0, 30.0), _run(60.0, 900.0), _run(12.0, 300.0)])["medians_meet_targets"] is False
    assert serve.runs_summary([_run(10.0, 30.0), _run(55.0, 40.0), _run(51.0, 40.0)])["medians_meet_targets"] is False
    # latency is judged by the median; losing or doubling a report in any run is never outvoted
    assert serve.runs_summary([*one_slow, _run(10.0, 30.0, reported=99)])["medians_meet_targets"] is False
    assert serve.runs_summary([*one_slow, _run(10.0, 30.0, twice=1)])["medians_meet_targets"] is False
    assert serve.runs_summary([_run(10.0, None)])["medians_meet_targets"] is False
    assert serve.runs_summary([])["medians_meet_targets"] is False
