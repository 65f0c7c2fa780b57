"""`bench/serve.py --trace FILE`: what the server was doing in each second of a run, to tell why a second was slow.

A thread samples, every `interval` seconds, from the server's `/metrics`: the backlogs (events waiting to be
judged, results waiting to be posted) and how many accept-journal syncs so far took longer than the accept
p99 target; and the size of the state database's write-ahead log (a log that shrank: DuckDB folded it into
the file, a checkpoint). `per_second` joins the samples with the pushes' own timings, one row per second of
the push window; `summary` counts the seconds with slow reports and those with slow accepts, and how many of
each had a checkpoint or a slow journal sync in them or in the second before. Slow reports with both backlogs
up and no checkpoint near is the machine short of CPU; slow accepts at a slow sync is the disk.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

GAUGES = {"opsguard_pending_evaluations": "judge_backlog", "opsguard_pending_reports": "post_backlog"}
SLOW_MS = 100.0         # a second's reports are slow when its pushes' median push → reported is above this
ACCEPT_SLOW_MS = 50.0   # a second's accepts are slow when one of them took longer than this (the p99 target)
# journal syncs in all, and those within ACCEPT_SLOW_MS (a bucket of the histogram's default bounds)
SYNCS = "opsguard_journal_sync_seconds_count"
SYNCS_FAST = f'opsguard_journal_sync_seconds_bucket{{le="{ACCEPT_SLOW_MS / 1000:g}"}}'


class Sample(NamedTuple):
    at: float                    # epoch seconds
    judge_backlog: int | None    # None: /metrics did not answer
    post_backlog: int | None
    wal_bytes: int
    slow_syncs: int | None       # journal syncs over 50 ms since the server started


class Sampler(threading.Thread):
    """Takes a `Sample` every `interval` seconds until `stop()`."""

    def __init__(self, url: str, wal: Path, interval: float = 0.1):
        super().__init__(name="trace-sampler", daemon=True)
        self.url, self.wal, self.interval = url.rstrip("/"), wal, interval
        self.samples: list[Sample] = []
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.interval):
            gauges = self._gauges()
            try:
                wal = self.wal.stat().st_size
            except OSError:
                wal = 0
            self.samples.append(Sample(time.time(), gauges.get("judge_backlog"), gauges.get("post_backlog"), wal,
                                       gauges.get("slow_syncs")))

    def stop(self) -> None:
        self._done.set()
        self.join(5)

    def _gauges(self) -> dict[str, int]:
        try:
            with urllib.request.urlopen(f"{self.url}/metrics", timeout=2) as response:  # noqa: S310 — loopback
                return parse_metrics(response.read().decode())
        except OSError:
            return {}


def parse_metrics(text: str) -> dict[str, int]:
    """The backlogs and the count of journal syncs over 50 ms from the server's `/metrics` text."""
    values = {}
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if name in GAUGES or name in (SYNCS, SYNCS_FAST):
            values[name] = int(float(value))
    found = {GAUGES[name]: value for name, value in values.items() if name in GAUGES}
    if SYNCS in values and SYNCS_FAST in values:
        found["slow_syncs"] = values[SYNCS] - values[SYNCS_FAST]
    return found


def per_second(pushes: list[dict], samples: list[Sample]) -> list[dict]:
    """One row per second of the push window: its pushes' median and worst push → reported and push → 2xx,
    the largest backlogs sampled in it, whether a checkpoint happened in it, and its slow journal syncs."""
    if not pushes:
        return []
    t0 = min(p["sent"] for p in pushes)
    by_second: dict[int, list[dict]] = defaultdict(list)
    for push in pushes:
        by_second[int(push["sent"] - t0)].append(push)
    sampled: dict[int, list[Sample]] = defaultdict(list)
    checkpoints: set[int] = set()
    slow_syncs: dict[int, int] = defaultdict(int)
    for before, sample in zip(samples, samples[1:]):
        second = int(sample.at - t0)
        sampled[second].append(sample)
        if sample.wal_bytes < before.wal_bytes:
            checkpoints.add(second)
        if sample.slow_syncs is not None and before.slow_syncs is not None:
            slow_syncs[second] += sample.slow_syncs - before.slow_syncs
    rows = []
    for second in sorted(by_second):
        reported = sorted(p["reported_ms"] for p in by_second[second] if p["reported_ms"] is not None)
        accepted = sorted(p["accept_ms"] for p in by_second[second])
        judge = [s.judge_backlog for s in sampled[second] if s.judge_backlog is not None]
        post = [s.post_backlog for s in sampled[second] if s.post_backlog is not None]
        rows.append({"second": second, "pushes": len(by_second[second]),
                     "reported_p50_ms": reported[len(reported) // 2] if reported else None,
                     "reported_max_ms": reported[-1] if reported else None,
                     "accept_p50_ms": accepted[len(accepted) // 2], "accept_max_ms": accepted[-1],
                     "judge_backlog_max": max(judge, default=None), "post_backlog_max": max(post, default=None),
                     "checkpoint": second in checkpoints, "slow_journal_syncs": slow_syncs[second]})
    return rows


def summary(rows: list[dict], warmup: float) -> dict:
    """After the warm-up: the seconds with slow reports and how many had a checkpoint in them or the second
    before; the seconds with a slow accept and how many had a slow journal sync in them or the second before.

    >>> rows = [{"second": s, "reported_p50_ms": ms, "checkpoint": s == 6, "accept_max_ms": acc,
    ...          "slow_journal_syncs": int(s == 8)} for s, ms, acc in [(5, 3.0, 9.0), (6, 150.0, 9.0),
    ...          (7, 180.0, 9.0), (8, 120.0, 170.0), (9, 4.0, 60.0)]]
    >>> summary(rows, warmup=5)["slow_report_seconds"], summary(rows, warmup=5)["slow_report_seconds_at_checkpoint"]
    (3, 2)
    >>> summary(rows, warmup=5)["slow_accept_seconds"], summary(rows, warmup=5)["slow_accept_seconds_at_slow_sync"]
    (2, 2)
    """
    measured = [r for r in rows if r["second"] >= warmup]
    checkpointed = {r["second"] for r in rows if r["checkpoint"]}
    slow_synced = {r["second"] for r in rows if r["slow_journal_syncs"]}
    slow = [r for r in measured if (r["reported_p50_ms"] or 0) > SLOW_MS]
    slow_accept = [r for r in measured if r["accept_max_ms"] > ACCEPT_SLOW_MS]
    return {"seconds": len(measured), "slow_report_seconds": len(slow),
            "slow_report_seconds_at_checkpoint": sum(1 for r in slow if {r["second"], r["second"] - 1} & checkpointed),
            "slow_accept_seconds": len(slow_accept),
            "slow_accept_seconds_at_slow_sync": sum(1 for r in slow_accept
                                                    if {r["second"], r["second"] - 1} & slow_synced),
            "checkpoints": sum(1 for r in measured if r["checkpoint"]),
            "slow_journal_syncs": sum(r["slow_journal_syncs"] for r in measured)}
