"""Benchmark: CPU per judged event when events come one at a time, as in `bench/serve.py`, against back to back.

Why: in the serve bench the judging process spends ~1.4 ms of CPU per event, while the same `judge()`
calls in a tight loop cost about half that. At 300 events/s the CPU idles ~3 ms between events, and on
this kind of virtual machine the work after each wake-up runs slower (cold caches, the core's clock
ramping up). This measures that share: the serve bench's snapshot and event mix, judged in one thread
back to back (the baseline), then paced at `--rate` one event at a time and in batches of `--batch`
events (what batching the hand-over to the judge would save). Rounds alternate the schedules so that
a drift of the host's speed hits each alike; each figure is the median of the rounds. The last line is
one JSON object.

    python bench/judge_pacing.py [--nodes 100000] [--events 3000] [--rate 300] [--batch 5 --batch 20]
                                 [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))   # `serve` is found beside this script: Python puts the script's directory first

BACK_TO_BACK = 0   # batch size meaning "no pacing"


def cpu_ms_per_item(work: Callable[[Any], object], items: Sequence[Any], rate: float, batch: int, *,
                    clock: Callable[[], float] = time.perf_counter, sleep: Callable[[float], None] = time.sleep,
                    cpu: Callable[[], float] = time.process_time) -> float:
    """CPU milliseconds per item of `work(item)` over `items`; with `batch` > 0 the batches of `batch`
    items start `batch / rate` seconds apart (sleeping in between), else all run back to back.

    >>> cpu_ms_per_item(lambda _: None, [1, 2], 300.0, 1) >= 0.0
    True
    """
    started_cpu, started = cpu(), clock()
    step = batch or len(items) or 1
    for first in range(0, len(items), step):
        if batch > 0:
            wait = started + first / rate - clock()
            if wait > 0:
                sleep(wait)
        for item in items[first:first + step]:
            work(item)
    return (cpu() - started_cpu) * 1000 / max(len(items), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=300.0, help="events a second when paced (the serve bench's)")
    parser.add_argument("--batch", type=int, action="append", help="also pace batches of this many events "
                        "(repeatable; default 5 and 20)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.events < 1 or args.rate <= 0 or args.rounds < 1 or any(b < 1 for b in args.batch or []):
        parser.error("--events, --rate, --rounds and --batch must be positive")

    from serve import CACHE, data_dir, event, node_ids, snapshot

    from lineage.live import GraphHolder
    from opsguard.pipeline.judge import EvalJob, judge
    from evaluator.policy import default_policy
    from opsguard.state import utcnow
    from lineage.snapshots import SnapshotStore

    snap = snapshot(args.nodes, args.seed)
    holder = GraphHolder(SnapshotStore(data_dir(CACHE / "judge-pacing-run", snap)))
    holder.refresh()
    live, policy = holder.current(), default_policy()
    rng = random.Random(args.seed)
    ids = node_ids(snap, 20_000, args.seed)
    jobs = [EvalJob(f"pacing-{i}", 1, utcnow(), json.dumps(event(rng, ids))) for i in range(args.events)]

    def work(job: EvalJob) -> object:
        return judge(job, live, policy)

    for job in jobs[:min(300, len(jobs))]:   # warm-up: lazy indexes and caches of the graph
        work(job)
    schedules = [BACK_TO_BACK, 1, *(args.batch or [5, 20])]
    runs: dict[int, list[float]] = {s: [] for s in schedules}
    for _ in range(args.rounds):
        for batch in schedules:
            runs[batch].append(cpu_ms_per_item(work, jobs, args.rate, batch))
    base = statistics.median(runs[BACK_TO_BACK])
    result: dict[str, Any] = {"nodes": args.nodes, "events": args.events, "rate": args.rate, "rounds": args.rounds,
                              "back_to_back_cpu_ms": round(base, 3)}
    for batch in schedules[1:]:
        ms = statistics.median(runs[batch])
        name = "paced_one_at_a_time" if batch == 1 else f"paced_batches_of_{batch}"
        result[f"{name}_cpu_ms"] = round(ms, 3)
        result[f"{name}_vs_back_to_back"] = round(ms / base, 2)
        print(f"{name:>28}: {ms:.3f} ms CPU per event, {ms / base:.2f}x back to back ({base:.3f} ms)", flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
