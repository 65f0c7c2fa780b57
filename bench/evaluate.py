"""Benchmark: end-to-end `evaluate_message` (parse → checks → verdict) on a generated 100,000-node
workspace — a freeze of the hub (`ods_trade_order_di`), a freeze of a leaf, and a 30-day backfill of
the hub and all its downstream (includeNodeIds absent: the worst case opsguard assumes).

Each case also times its lineage core alone (compute_impact / estimate_backfill) in the same process:
the ratio says how much the checks, policy and verdict add. Each call's CPU time (this thread) is
recorded beside its wall time: on a busy machine the wall p99 grows with time other processes take
while the CPU p99 stays the code's own cost. Targets (wall p99) (issue 4): p99 ≤ 15 ms, 2 ms,
30 ms. The snapshot is the one `bench/impact.py` caches under `.bench/`. The last line
is one JSON object with every figure.

    python bench/evaluate.py [--nodes 100000] [--seed 0] [--repeat 200]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evaluator.evaluate import evaluate_message  # noqa: E402
from evaluator.events import parse_event  # noqa: E402
from evaluator.policy import default_policy  # noqa: E402
from lineage.backfill import estimate_backfill  # noqa: E402
from lineage.graph import LineageGraph  # noqa: E402
from lineage.impact import compute_impact  # noqa: E402
sys.path.insert(0, str(ROOT / "bench"))
import impact as impact_bench  # noqa: E402  (shares its cached workspaces)

HUB = 700000000101
TARGETS_MS = {"freeze_hub": 15.0, "freeze_leaf": 2.0, "backfill_hub_30d": 30.0}


def cached_snapshot(nodes: int, seed: int) -> Path:
    """The snapshot `bench/impact.py` caches under `.bench/` (same name, same fixed end bizdate)."""
    path = impact_bench.snapshot_path(nodes, seed)
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        impact_bench.generate(nodes, seed)
    return path


def envelope(data: dict, message_id: str) -> bytes:
    return json.dumps({"id": message_id, "source": "acs.dataworks", "specversion": "1.0",
                       "type": "dataworks:NodeChange:FreezeNode", "data": data}).encode()


def timed(fn, repeat: int, warmup: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """(wall ms per call, CPU ms of this thread per call) of `repeat` calls of `fn`."""
    for _ in range(warmup):
        fn()
    gc.collect()
    gc.disable()
    try:
        wall, cpu = np.empty(repeat), np.empty(repeat)
        for i in range(repeat):
            c0, t0 = time.thread_time(), time.perf_counter()
            fn()
            wall[i] = (time.perf_counter() - t0) * 1000
            cpu[i] = (time.thread_time() - c0) * 1000
    finally:
        gc.enable()
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    path = cached_snapshot(args.nodes, args.seed)
    t0 = time.perf_counter()
    graph = LineageGraph.from_snapshot(path)
    load_s = time.perf_counter() - t0
    policy = default_policy()
    now = datetime.now(UTC)

    leaf = _leaf(graph)
    last = impact_bench.END_BIZDATE  # the newest bizdate of the cached history
    periods = json.dumps([{"bizBeginTime": (last - timedelta(days=29)).isoformat(), "bizEndTime": last.isoformat()}])
    common = {"operator": "203100000000042", "projectId": 215001, "tenantId": 4100000000001}
    messages = {
        "freeze_hub": envelope({"eventCode": "freeze-node", "nodeIds": [HUB], **common}, "bench-hub"),
        "freeze_leaf": envelope({"eventCode": "freeze-node", "nodeIds": [leaf], **common}, "bench-leaf"),
        "backfill_hub_30d": envelope({"eventCode": "backfill-data", "name": "P_bench", "rootNodeId": HUB,
                                      "rootNodeProjectId": 215001, "multipleTimePeriods": periods,
                                      "isParallel": True, "parallelGroup": 4, **common}, "bench-backfill"),
    }
    cores = {
        "freeze_hub": lambda: compute_impact(graph, [HUB]),
        "freeze_leaf": lambda: compute_impact(graph, [leaf]),
        "backfill_hub_30d": lambda: estimate_backfill(graph, parse_event(messages["backfill_hub_30d"]).to_request(),
                                                      default_runtime_seconds=policy.default_runtime_seconds),
    }
    figures: dict[str, object] = {"nodes": graph.node_count, "edges": graph.edge_count,
                                  "snapshot_load_s": round(load_s, 3), "hub": HUB, "leaf": leaf}
    print(f"{graph.node_count:,} nodes, {graph.edge_count:,} edges; snapshot loaded in {load_s:.2f} s")
    for name, raw in messages.items():
        verdict = evaluate_message(raw, graph, policy, now=now)
        samples, cpu = timed(lambda: evaluate_message(raw, graph, policy, now=now), args.repeat)
        json_ms, _ = timed(lambda: json.dumps(verdict.to_json()), max(args.repeat // 4, 10))
        core, _ = timed(cores[name], args.repeat)
        p50, p99 = float(np.percentile(samples, 50)), float(np.percentile(samples, 99))
        core_p50 = float(np.percentile(core, 50))
        size = verdict.backfill["run_instance_count"] if verdict.backfill else verdict.impact["downstream_count"]
        target = TARGETS_MS[name]
        figures.update({f"{name}_p50_ms": round(p50, 3), f"{name}_p99_ms": round(p99, 3),
                        f"{name}_target_p99_ms": target, f"{name}_p99_over_target": round(p99 / target, 3),
                        f"{name}_core_p50_ms": round(core_p50, 3),
                        f"{name}_over_core": round(p50 / core_p50, 2) if core_p50 else None,
                        f"{name}_to_json_p50_ms": round(float(np.percentile(json_ms, 50)), 3),
                        f"{name}_result": verdict.result.value, f"{name}_size": int(size),
                        f"{name}_cpu_p50_ms": round(float(np.percentile(cpu, 50)), 3),
                        f"{name}_cpu_p99_ms": round(float(np.percentile(cpu, 99)), 3)})
        unit = "run instances" if verdict.backfill else "downstream nodes"
        print(f"{name:17s} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  (target {target:g} ms: {p99 / target:5.2f}x)  "
              f"lineage core p50 {core_p50:6.2f} ms  ({p50 / core_p50 if core_p50 else 0:4.1f}x)  "
              f"{size:,} {unit}, {verdict.result.value}; CPU p99 {np.percentile(cpu, 99):.2f} ms")
    figures["all_within_target"] = all(figures[f"{n}_p99_ms"] <= t for n, t in TARGETS_MS.items())
    print(json.dumps(figures))


def _leaf(graph: LineageGraph) -> int:
    """The first NORMAL node of the hub's workspace with no children (deterministic)."""
    projects = graph.column("project_id")
    live = ~(graph.is_paused | graph.is_skipped | graph.is_manual)
    for i in np.flatnonzero(live & (projects == 215001)):
        if graph.children(int(i)).size == 0 and graph.parents(int(i)).size > 0:
            return int(graph.node_ids(np.array([i]))[0])
    raise SystemExit("no leaf found")


if __name__ == "__main__":
    main()
