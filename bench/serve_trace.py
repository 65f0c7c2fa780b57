"""`bench/serve.py --trace FILE`: what the server was doing in each second of a run, to tell why a second was slow.

A thread samples, every `interval` seconds, the server's backlog gauges from `/metrics` (events waiting to
be judged, results waiting to be posted) and the size of the state database's write-ahead log; a log that
shrank means DuckDB folded it into the file (a checkpoint) since the last sample. `per_second` joins the
samples with the pushes' own timings, one row per second of the push window; `summary` counts the slow
seconds and how many had a checkpoint in them or in the second before. Both backlogs up with no checkpoint
near is the machine short of CPU for both workers at once (what the runs of 2026-12-04 showed).
"""

from __future__ import annotations

import threading
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

GAUGES = {"opsguard_pending_evaluations": "judge_backlog", "opsguard_pending_reports": "post_backlog"}
SLOW_MS = 100.0   # a second is slow when its pushes' median push → reported is above this


class Sampler(threading.Thread):
    """Samples the backlog gauges and the WAL size until `stop()`; `samples` are (epoch s, judge, post, wal bytes)."""

    def __init__(self, url: str, wal: Path, interval: float = 0.1):
        super().__init__(name="trace-sampler", daemon=True)
        self.url, self.wal, self.interval = url.rstrip("/"), wal, interval
        self.samples: list[tuple[float, int | None, int | None, int]] = []
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.interval):
            gauges = self._gauges()
            try:
                wal = self.wal.stat().st_size
            except OSError:
                wal = 0
            self.samples.append((time.time(), gauges.get("judge_backlog"), gauges.get("post_backlog"), wal))

    def stop(self) -> None:
        self._done.set()
        self.join(5)

    def _gauges(self) -> dict[str, int]:
        try:
            with urllib.request.urlopen(f"{self.url}/metrics", timeout=2) as response:  # noqa: S310 — loopback
                text = response.read().decode()
        except OSError:
            return {}
        found = {}
        for line in text.splitlines():
            name, _, value = line.partition(" ")
            if name in GAUGES:
                found[GAUGES[name]] = int(float(value))
        return found


def per_second(pushes: list[dict], samples: list[tuple[float, int | None, int | None, int]]) -> list[dict]:
    """One row per second of the push window: its pushes' median and worst push → reported and push → 2xx,
    the largest backlogs sampled in it, and whether a checkpoint happened in it."""
    if not pushes:
        return []
    t0 = min(p["sent"] for p in pushes)
    by_second: dict[int, list[dict]] = defaultdict(list)
    for push in pushes:
        by_second[int(push["sent"] - t0)].append(push)
    sampled: dict[int, list[tuple[float, int | None, int | None, int]]] = defaultdict(list)
    checkpoints: set[int] = set()
    for before, sample in zip(samples, samples[1:]):
        second = int(sample[0] - t0)
        sampled[second].append(sample)
        if sample[3] < before[3]:
            checkpoints.add(second)
    rows = []
    for second in sorted(by_second):
        reported = sorted(p["reported_ms"] for p in by_second[second] if p["reported_ms"] is not None)
        accepted = sorted(p["accept_ms"] for p in by_second[second])
        judge = [s[1] for s in sampled[second] if s[1] is not None]
        post = [s[2] for s in sampled[second] if s[2] is not None]
        rows.append({"second": second, "pushes": len(by_second[second]),
                     "reported_p50_ms": reported[len(reported) // 2] if reported else None,
                     "reported_max_ms": reported[-1] if reported else None,
                     "accept_p50_ms": accepted[len(accepted) // 2], "accept_max_ms": accepted[-1],
                     "judge_backlog_max": max(judge, default=None), "post_backlog_max": max(post, default=None),
                     "checkpoint": second in checkpoints})
    return rows


def summary(rows: list[dict], warmup: float) -> dict:
    """Slow seconds after the warm-up, and how many of them had a checkpoint in them or the second before.

    >>> rows = [{"second": s, "reported_p50_ms": ms, "checkpoint": s == 6} for s, ms in [(5, 3.0), (6, 150.0),
    ...         (7, 180.0), (8, 120.0)]]
    >>> summary(rows, warmup=5)
    {'seconds': 4, 'slow_seconds': 3, 'slow_seconds_at_checkpoint': 2, 'checkpoints': 1}
    """
    measured = [r for r in rows if r["second"] >= warmup]
    checkpointed = {r["second"] for r in rows if r["checkpoint"]}
    slow = [r for r in measured if (r["reported_p50_ms"] or 0) > SLOW_MS]
    return {"seconds": len(measured), "slow_seconds": len(slow),
            "slow_seconds_at_checkpoint": sum(1 for r in slow if {r["second"], r["second"] - 1} & checkpointed),
            "checkpoints": sum(1 for r in measured if r["checkpoint"])}
