"""bench/serve.py --trace: the per-second rows and the slow-second counts it reports."""

from __future__ import annotations

import doctest


def test_per_second_joins_pushes_with_backlogs_checkpoints_and_slow_syncs(bench_module):
    trace = bench_module("serve_trace")
    t0 = 1_000.0
    pushes = [{"sent": t0 + s + i / 10, "accept_ms": acc, "status": 202, "reported_ms": ms}
              for s, ms, acc in [(0, 3.0, 1.0), (1, 250.0, 2.0), (2, 4.0, 180.0)] for i in range(3)]
    pushes[-1]["reported_ms"] = None   # never reported: left out of the second's figures
    # the log shrinks during second 1 (a checkpoint); a journal sync over 50 ms during second 2
    samples = [trace.Sample(t0 + 0.5, 0, 1, 100, 0), trace.Sample(t0 + 1.2, 40, 7, 130, 0),
               trace.Sample(t0 + 1.6, 12, 30, 5, 0), trace.Sample(t0 + 2.5, None, None, 9, None),
               trace.Sample(t0 + 2.8, 1, 1, 12, 1)]
    rows = trace.per_second(pushes, samples)
    assert [r["second"] for r in rows] == [0, 1, 2]
    assert [r["checkpoint"] for r in rows] == [False, True, False]
    assert [r["slow_journal_syncs"] for r in rows] == [0, 0, 0]   # unknown before it: no count across the gap
    assert rows[1]["judge_backlog_max"] == 40 and rows[1]["post_backlog_max"] == 30
    assert rows[1]["reported_p50_ms"] == 250.0 and rows[2]["reported_max_ms"] == 4.0
    assert rows[0]["accept_max_ms"] == 1.0 and rows[2]["accept_max_ms"] == 180.0 and rows[1]["pushes"] == 3
    samples[3] = trace.Sample(t0 + 2.5, None, None, 9, 0)           # /metrics answered, backlogs aside
    rows = trace.per_second(pushes, samples)
    assert rows[2]["slow_journal_syncs"] == 1 and rows[2]["judge_backlog_max"] == 1
    assert trace.summary(rows, warmup=0) == {
        "seconds": 3, "slow_report_seconds": 1, "slow_report_seconds_at_checkpoint": 1, "slow_accept_seconds": 1,
        "slow_accept_seconds_at_slow_sync": 1, "checkpoints": 1, "slow_journal_syncs": 1}
    assert trace.summary(rows, warmup=2)["slow_report_seconds"] == 0


def test_the_sampler_reads_the_servers_metrics_text(bench_module):
    trace = bench_module("serve_trace")
    text = "\n".join(["# TYPE opsguard_pending_evaluations gauge", "opsguard_pending_evaluations 7",
                      "opsguard_pending_reports 3", 'opsguard_journal_sync_seconds_bucket{le="0.05"} 40',
                      "opsguard_journal_sync_seconds_count 42", "opsguard_accept_seconds_count 99"])
    found = trace.parse_metrics(text)
    assert found == {"judge_backlog": 7, "post_backlog": 3, "slow_syncs": 2}


def test_examples_in_the_module_hold(bench_module):
    result = doctest.testmod(bench_module("serve_trace"))
    assert result.attempted > 0 and result.failed == 0
