"""bench/serve.py --trace: the per-second rows and the slow-second counts it reports."""

from __future__ import annotations

import doctest
import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _trace():
    spec = importlib.util.spec_from_file_location("serve_trace", BENCH / "serve_trace.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_per_second_joins_pushes_with_backlogs_and_finds_checkpoints():
    trace = _trace()
    t0 = 1_000.0
    pushes = [{"sent": t0 + s + i / 10, "accept_ms": 1.0 + s, "status": 202, "reported_ms": ms}
              for s, ms in [(0, 3.0), (1, 250.0), (2, 4.0)] for i in range(3)]
    pushes[-1]["reported_ms"] = None   # never reported: left out of the second's figures
    # (time, judge backlog, post backlog, WAL bytes): the log shrinks during second 1 (a checkpoint)
    samples = [(t0 + 0.5, 0, 1, 100), (t0 + 1.2, 40, 7, 130), (t0 + 1.6, 12, 30, 5), (t0 + 2.5, None, None, 9)]
    rows = trace.per_second(pushes, samples)
    assert [r["second"] for r in rows] == [0, 1, 2]
    assert [r["checkpoint"] for r in rows] == [False, True, False]
    assert rows[1]["judge_backlog_max"] == 40 and rows[1]["post_backlog_max"] == 30
    assert rows[2]["judge_backlog_max"] is None   # a failed /metrics read is no sample
    assert rows[1]["reported_p50_ms"] == 250.0 and rows[2]["reported_max_ms"] == 4.0
    assert rows[0]["accept_max_ms"] == 1.0 and rows[1]["pushes"] == 3
    assert trace.summary(rows, warmup=0) == {"seconds": 3, "slow_seconds": 1, "slow_seconds_at_checkpoint": 1,
                                             "checkpoints": 1}
    assert trace.summary(rows, warmup=2)["slow_seconds"] == 0


def test_examples_in_the_module_hold():
    result = doctest.testmod(_trace())
    assert result.attempted > 0 and result.failed == 0
