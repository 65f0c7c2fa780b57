"""Benchmark: dropping old checks from the state database (`[server] keep_checks_days`) in batches.

Builds a state file of `--checks` reported checks (inbox row, verdict of `--verdict-bytes`, one delivery),
`--old-share` of them past the cutoff, copies it, and prunes each copy through a running state writer:
once as one transaction (the baseline) and once in `opsguard.retention`'s batches. Meanwhile a probe
commits an awaited write every 10 ms (as a duplicate or a node change would) and records how long each
waited. The batches exist so that wait stays short: `max_wait_batched_over_one` is the ratio to the
baseline's. The last line is one JSON object.

    python bench/prune.py [--checks 200000] [--old-share 0.5] [--verdict-bytes 2000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from opsguard.retention import PRUNE_BATCH, prune_checks  # noqa: E402
from opsguard.state import (DeliveryRow, EventKind, InboxRow, InboxStatus, StateStore, StatusChange,  # noqa: E402
                             VerdictRow, utcnow)
from opsguard.state_writer import Accept, SaveVerdict, StateWriter  # noqa: E402

KEEP_DAYS = 90


def fill(path: Path, checks: int, old_share: float, verdict_bytes: int, now: datetime) -> None:
    """A state file of reported checks, the first `old_share` of them 120 days old, the rest a day old.

    Old and recent ones go in separate write batches: a batch's status changes all take its latest time."""
    store = StateStore(path)
    writer = StateWriter(store).start()
    text = json.dumps({"result": "FAIL", "pad": "x" * verdict_bytes})
    old = int(checks * old_share)
    chunks = [(start, min(end, start + 500), at) for end, first, at in
              ((old, 0, now - timedelta(days=120)), (checks, old, now - timedelta(days=1)))
              for start in range(first, end, 500)]
    try:
        for start, end, at in chunks:
            futures = []
            for i in range(start, end):
                message_id = f"m-{i}"
                futures.append(writer.submit(Accept(InboxRow(
                    message_id, at, EventKind.EXTENSION, "freeze-node", 215001, "op", f"ebz-{i}", None,
                    InboxStatus.ACCEPTED, raw=json.dumps({"id": message_id}), updated_at=at))))
                futures.append(writer.submit(SaveVerdict(
                    VerdictRow(message_id, 1, at, "freeze-node", 215001, "op", "FAIL", "FAIL", "FAIL: x", "snap", 0,
                               None, 1.0, text),
                    StatusChange(message_id, 1, InboxStatus.REPORTED, at),
                    DeliveryRow(message_id, 1, 1, at, at, "FAIL", "delivered", 200))))
            for future in futures:
                future.result()
    finally:
        writer.stop()
        store.close()


def timed_prune(path: Path, batch: int, now: datetime) -> dict:
    """Prune a copy in batches of `batch` while a probe commits every 10 ms; wall time and the longest wait."""
    store = StateStore(path)
    writer = StateWriter(store).start()
    waits: list[float] = []
    done = threading.Event()

    def probe() -> None:   # at least once, however fast the prune: every run has a wait to report
        for number in itertools.count():
            started = time.perf_counter()
            writer.write(Accept(InboxRow(f"probe-{number}", now, EventKind.NODE_CHANGE, "node-change-updated",
                                         215001, "op", None, None, InboxStatus.APPLIED, raw="{}", updated_at=now)))
            waits.append(time.perf_counter() - started)
            if done.wait(0.01):
                return

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    try:
        started = time.perf_counter()
        pruned = prune_checks(writer, KEEP_DAYS, now=now, batch=batch)
        seconds = time.perf_counter() - started
    finally:
        done.set()
        prober.join()
        writer.stop()
        store.close()
    assert pruned is not None   # KEEP_DAYS > 0
    return {"checks_dropped": pruned.inbox, "seconds": round(seconds, 3), "max_wait_ms": round(max(waits) * 1000, 1),
            "probes": len(waits)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=200_000)
    parser.add_argument("--old-share", type=float, default=0.5)
    parser.add_argument("--verdict-bytes", type=int, default=2000)
    args = parser.parse_args()
    if args.checks < 1 or not 0 < args.old_share <= 1:
        parser.error("--checks must be at least 1 and --old-share in (0, 1]")
    now = utcnow()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source.duckdb"
        started = time.perf_counter()
        fill(source, args.checks, args.old_share, args.verdict_bytes, now)
        print(f"{args.checks} checks stored ({time.perf_counter() - started:.0f} s)", flush=True)
        results = {}
        for name, batch in (("one", args.checks), ("batched", PRUNE_BATCH)):
            copy = Path(tmp) / f"{name}.duckdb"
            shutil.copy(source, copy)
            results[name] = timed_prune(copy, batch, now)
            print(f"{name}: {results[name]}", flush=True)
    one, batched = results["one"], results["batched"]
    print(json.dumps({
        "checks": args.checks, "old": one["checks_dropped"], "batch": PRUNE_BATCH,
        "one_transaction_s": one["seconds"], "batched_s": batched["seconds"],
        "batched_over_one": round(batched["seconds"] / max(one["seconds"], 1e-9), 2),
        "max_wait_one_ms": one["max_wait_ms"], "max_wait_batched_ms": batched["max_wait_ms"],
        "max_wait_batched_over_one": round(batched["max_wait_ms"] / max(one["max_wait_ms"], 1e-9), 3)}))


if __name__ == "__main__":
    main()
