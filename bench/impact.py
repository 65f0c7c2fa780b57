"""Benchmark: the lineage index on generated workspaces of 100k and 1M nodes, against networkx.

For each size (its own subprocess, so peak RSS figures do not mix): load time from the snapshot
file to a ready index, peak RSS, `compute_impact` latency p50/p99 for a hub (~40 % of the graph
downstream), a mid node and a leaf, the backfill estimate of the hub's downstream over 30
bizdates, and — in the same process — the networkx baseline: `descendants` plus per-node
attribute lookups for the same figures. Targets (issue 3): 100k — hub p99 <= 10 ms and >= 25x
networkx, leaf <= 1 ms, backfill <= 20 ms; 1M — index ready <= 5 s, hub p99 <= 150 ms, peak
RSS <= 3 GB. Workspaces are generated once and cached under `.bench/` (100k with 30 days of
history, 1M with 1). The last line is one JSON object with every figure.

    python bench/impact.py [--sizes 100000,1000000] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CACHE = ROOT / ".bench"
END_BIZDATE = date(2026, 11, 19)  # fixed, so a cached workspace stays valid on any day
HISTORY_DAYS = {100_000: 30}      # other sizes: 1 day
TARGETS = {
    100_000: {"hub_p99_ms": 10.0, "hub_speedup_vs_networkx": 25.0, "leaf_p99_ms": 1.0, "backfill_p99_ms": 20.0},
    1_000_000: {"load_s": 5.0, "hub_p99_ms": 150.0, "peak_rss_gb": 3.0},
}


def snapshot_path(size: int, seed: int) -> Path:
    return CACHE / f"impact-{size}-d{HISTORY_DAYS.get(size, 1)}-s{seed}.duckdb"


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # Linux: KiB


def generate(size: int, seed: int) -> None:
    """Child process: generate the workspace and write its snapshot into the cache."""
    from lineage.snapshot_writer import write_fixture_snapshot
    from sandbox.workspace import generate_workspace

    target = snapshot_path(size, seed)
    started = time.perf_counter()
    fixture = generate_workspace(size, seed=seed, days=HISTORY_DAYS.get(size, 1), end_bizdate=END_BIZDATE)
    generated = time.perf_counter() - started
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    write_fixture_snapshot(fixture, tmp, source=f"fixture:bench-{size}", snapshot_id=target.stem)
    os.replace(tmp, target)
    print(f"  generated {size} nodes in {generated:.1f} s, snapshot written in "
          f"{time.perf_counter() - started - generated:.1f} s ({len(fixture['edges'])} edges, "
          f"{len(fixture['instances'])} instances)", flush=True)


def timings(fn, repeat: int) -> dict[str, float]:
    """p50/p99/mean in ms of `repeat` calls (after one warm-up call)."""
    import numpy as np

    fn()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    a = np.array(samples)
    return {"p50_ms": round(float(np.percentile(a, 50)), 3), "p99_ms": round(float(np.percentile(a, 99)), 3),
            "mean_ms": round(float(a.mean()), 3), "runs": repeat}


def pick_nodes(graph, rng) -> dict[str, int]:
    """hub: downstream closest to 40 % of the graph; mid: closest to 1 %; leaf: no descendants."""
    import numpy as np

    n = graph.node_count
    fanout = graph.child_counts()
    live = ~graph.is_manual
    top = np.argsort(-np.where(live, fanout, -1))[:64]
    sample = rng.choice(np.flatnonzero(live & (fanout > 0)), size=min(300, int((live & (fanout > 0)).sum())),
                        replace=False)
    counts = {int(i): len(graph.descendants_of_positions(np.array([i]))) for i in {*top.tolist(), *sample.tolist()}}
    hub = min(counts, key=lambda i: abs(counts[i] - 0.4 * n))
    mid = min(counts, key=lambda i: abs(counts[i] - 0.01 * n))
    leaf = int(np.flatnonzero(live & (fanout == 0))[0])
    return {name: int(graph.node_ids(np.array([i]))[0]) for name, i in (("hub", hub), ("mid", mid), ("leaf", leaf))}


def networkx_impact(dg, node_id: int) -> tuple[int, int, int, int, int, int]:
    """The baseline: networkx descendants, then one attribute lookup per descendant."""
    import networkx as nx

    below = nx.descendants(dg, node_id)
    attrs = dg.nodes
    home = attrs[node_id]["project_id"]
    cross = high = paused = skipped = 0
    owners = set()
    for d in below:
        a = attrs[d]
        cross += a["project_id"] != home
        high += (a["priority"] or 0) >= 7
        paused += a["scheduler_type"] == "PAUSE"
        skipped += a["scheduler_type"] == "SKIP"
        if a["owner_id"]:
            owners.add(a["owner_id"])
    return len(below), cross, high, paused, skipped, len(owners)


def measure(size: int, seed: int) -> dict:
    """Child process: every figure for one size."""
    import numpy as np

    from lineage.backfill import BackfillRequest, BizdatePeriod, estimate_backfill
    from lineage.graph import LineageGraph
    from lineage.impact import compute_impact

    path = snapshot_path(size, seed)
    load_avg_start = os.getloadavg()[0]
    rss_before = peak_rss_gb()
    started = time.perf_counter()
    graph = LineageGraph.from_snapshot(path)
    load_s = time.perf_counter() - started
    rss_loaded = peak_rss_gb()
    nodes = pick_nodes(graph, np.random.default_rng(seed))
    big = size >= 500_000
    out: dict = {"nodes": graph.node_count, "edges": graph.edge_count, "load_s": round(load_s, 3),
                 "picked": nodes, "rss_before_load_gb": round(rss_before, 3), "rss_after_load_gb": round(rss_loaded, 3)}
    impacts = {name: compute_impact(graph, [node_id]) for name, node_id in nodes.items()}
    out["downstream"] = {name: i.downstream_count for name, i in impacts.items()}
    out["downstream_share_hub"] = round(impacts["hub"].downstream_count / graph.node_count, 3)
    repeat = {"hub": 40 if big else 300, "mid": 200 if big else 500, "leaf": 1000}
    out["impact"] = {name: timings(lambda n=node_id: compute_impact(graph, [n]), repeat[name])
                     for name, node_id in nodes.items()}
    out["bfs_hub"] = timings(lambda: graph.descendants([nodes["hub"]]), repeat["hub"])
    last = graph.history_to or END_BIZDATE
    request = BackfillRequest(nodes["hub"], (BizdatePeriod(last - timedelta(days=29), last),))
    estimate = estimate_backfill(graph, request)
    out["backfill"] = {**timings(lambda: estimate_backfill(graph, request), 20 if big else 200),
                       "node_count": estimate.node_count, "run_instance_count": estimate.run_instance_count,
                       "bizdate_count": estimate.bizdate_count, "estimated_hours": round(estimate.estimated_hours, 1)}
    out["peak_rss_gb"] = round(peak_rss_gb(), 3)  # the index alone: measured before networkx is built

    started = time.perf_counter()
    dg = graph.to_networkx()
    out["networkx_build_s"] = round(time.perf_counter() - started, 2)
    nx_repeat = {"hub": 3 if big else 15, "mid": 20 if big else 100, "leaf": 200 if big else 500}
    out["networkx_impact"] = {name: timings(lambda n=node_id: networkx_impact(dg, n), nx_repeat[name])
                              for name, node_id in nodes.items()}
    for name, node_id in nodes.items():
        assert networkx_impact(dg, node_id)[0] == impacts[name].downstream_count, name
    out["speedup_vs_networkx_p50"] = {name: round(out["networkx_impact"][name]["p50_ms"]
                                                  / max(out["impact"][name]["p50_ms"], 1e-6), 2) for name in nodes}
    out["peak_rss_with_networkx_gb"] = round(peak_rss_gb(), 3)
    # Shared machines: a busy box inflates p99s; the 1-minute load average says how busy it was.
    out["load_avg_1m"] = {"start": round(load_avg_start, 2), "end": round(os.getloadavg()[0], 2),
                          "cpus": os.cpu_count()}
    return out


def check_targets(size: int, r: dict) -> dict[str, bool]:
    targets = TARGETS.get(size, {})
    actual = {"hub_p99_ms": r["impact"]["hub"]["p99_ms"], "leaf_p99_ms": r["impact"]["leaf"]["p99_ms"],
              "backfill_p99_ms": r["backfill"]["p99_ms"], "load_s": r["load_s"], "peak_rss_gb": r["peak_rss_gb"],
              "hub_speedup_vs_networkx": r["speedup_vs_networkx_p50"]["hub"]}
    return {name: (actual[name] >= limit if name.startswith("hub_speedup") else actual[name] <= limit)
            for name, limit in targets.items()}


def table(results: dict[int, dict]) -> str:
    rows = [("nodes / edges", lambda r: f"{r['nodes']} / {r['edges']}"),
            ("index ready from file", lambda r: f"{r['load_s']:.2f} s"),
            ("peak RSS (index)", lambda r: f"{r['peak_rss_gb']:.2f} GB"),
            ("hub downstream", lambda r: f"{r['downstream']['hub']} ({r['downstream_share_hub']:.0%})")]
    for name in ("hub", "mid", "leaf"):
        rows.append((f"impact {name} p50 / p99", lambda r, n=name: f"{r['impact'][n]['p50_ms']:.3f} / "
                                                                   f"{r['impact'][n]['p99_ms']:.3f} ms"))
        rows.append((f"  networkx {name} p50", lambda r, n=name: f"{r['networkx_impact'][n]['p50_ms']:.3f} ms "
                                                                 f"({r['speedup_vs_networkx_p50'][n]}x)"))
    rows.append(("backfill hub 30 days p50 / p99", lambda r: f"{r['backfill']['p50_ms']:.2f} / "
                                                            f"{r['backfill']['p99_ms']:.2f} ms"))
    rows.append(("networkx DiGraph build", lambda r: f"{r['networkx_build_s']:.1f} s"))
    rows.append(("load average (start / end)", lambda r: f"{r['load_avg_1m']['start']} / {r['load_avg_1m']['end']} "
                                                        f"on {r['load_avg_1m']['cpus']} CPUs"))
    sizes = sorted(results)
    width = 34
    lines = ["".ljust(width) + "".join(f"{s:>26,}" for s in sizes)]
    for label, fmt in rows:
        lines.append(label.ljust(width) + "".join(f"{fmt(results[s]):>26}" for s in sizes))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated node counts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.seed)
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.seed)))
        return

    CACHE.mkdir(exist_ok=True)
    results: dict[int, dict] = {}
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        if not snapshot_path(size, args.seed).is_file():
            print(f"generating a {size:,}-node workspace into {snapshot_path(size, args.seed).relative_to(ROOT)} "
                  "(once) ...", flush=True)
            subprocess.run([sys.executable, __file__, "--generate", str(size), "--seed", str(args.seed)], check=True)
        print(f"measuring {size:,} nodes ...", flush=True)
        done = subprocess.run([sys.executable, __file__, "--measure", str(size), "--seed", str(args.seed)],
                              check=True, capture_output=True, text=True)
        results[size] = json.loads(done.stdout.strip().splitlines()[-1])
        results[size]["targets_met"] = check_targets(size, results[size])
    print(table(results))
    for size, r in results.items():
        for name, ok in r["targets_met"].items():
            print(f"  {size:>9,} {name:<26} {'ok' if ok else 'MISSED'}")
    print(json.dumps({"bench": "impact", "sizes": {str(s): r for s, r in results.items()}}))


if __name__ == "__main__":
    main()
