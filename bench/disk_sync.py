"""Benchmark: how long the disk under the data dir takes to make one small append durable (`fdatasync`).

A new event's 2xx waits for exactly this (the accept journal, `opsguard.accept_journal`), so the
accept p99 of `bench/serve.py` can be no better than this disk's stalls allow: at 300 events/s a
150 ms stall holds ~45 answers, and two or three such stalls in a run are the 1% a p99 allows.
Appends of one journal line (~700 bytes) every 3 ms for `--seconds`, nothing else running; figures
against the serve bench's accept p99 target (50 ms). The last line is one JSON object.

    python bench/disk_sync.py [--seconds 30] [--dir .bench]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ACCEPT_P99_TARGET_MS = 50.0
STALL_MS = 20.0


def measure(directory: Path, seconds: float, line_bytes: int = 700, pause: float = 0.003) -> list[float]:
    """Milliseconds of each `fdatasync` after appending one line to a new file in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"disk-sync-{os.getpid()}.tmp"
    line = b"x" * (line_bytes - 1) + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    timings: list[float] = []
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            os.write(fd, line)
            started = time.perf_counter()
            os.fdatasync(fd)
            timings.append((time.perf_counter() - started) * 1000)
            time.sleep(pause)
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)
    return timings


def figures(timings: list[float]) -> dict:
    p50, p99, p999 = (round(float(v), 2) for v in np.percentile(timings, [50, 99, 99.9]))
    worst = max(timings)
    return {"syncs": len(timings), "p50_ms": p50, "p99_ms": p99, "p999_ms": p999, "max_ms": round(worst, 1),
            "stalls_over_20ms": sum(1 for t in timings if t > STALL_MS),
            "max_over_accept_p99_target": round(worst / ACCEPT_P99_TARGET_MS, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--dir", type=Path, default=ROOT / ".bench", help="a directory on the disk to measure")
    args = parser.parse_args()
    result = figures(measure(args.dir, args.seconds))
    for key, value in result.items():
        print(f"{key:>28}: {value}")
    print(json.dumps({**result, "seconds": args.seconds}))


if __name__ == "__main__":
    main()
