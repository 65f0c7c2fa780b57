"""Benchmark: a full sync of a generated workspace through the real SDK against the emulator (in its own
process, with DataWorks' page limits: PageNumber <= 100, ListBaselines <= 30).

Default mode: 20,000 nodes, the emulator limited to --qps 200 and the client's rate limit the same. Prints
API calls, calls per node (metadata calls plus one bizdate of history), wall time and wall / floor, where
floor = calls / qps is the least time any client could take at that rate. Targets: calls per node <= 1.05,
wall / floor <= 1.25. `--projects 1` puts every node in one workspace, so listings past 10,000 rows are
partitioned by the actions' filters.

`--quota` mode: the account's quota below the client's rate limit. The emulator grants 50 % and then 25 % of
`--rate-limit` (default 100); the sync must find that rate by itself. Prints achieved rate / quota (calls the
emulator served per second of sync); target >= 0.8 in both runs.

The last line is one JSON object with every figure.

    python bench/sync.py [--nodes 20000] [--qps 200] [--seed 1] [--projects N]
    python bench/sync.py --quota [--nodes 2000] [--rate-limit 100]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lineage.client import DataWorksClient  # noqa: E402
from lineage.config import DataWorksSettings  # noqa: E402
from lineage.credentials import AccessKey  # noqa: E402
from lineage.snapshots import SnapshotStore  # noqa: E402
from lineage.sync import SyncRequest, run_sync  # noqa: E402
from sandbox.workspace import generate_workspace  # noqa: E402

KEY = AccessKey("bench-ak", "bench-secret")
QUOTA_FRACTIONS = (0.5, 0.25)


def start_emulator(workspace_file: Path, qps: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.emulator", "--workspace", str(workspace_file), "--port", "0",
         "--access-key-id", KEY.id, "--access-key-secret", KEY.secret, "--qps", str(qps)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return proc, line.removeprefix("listening on ")


def one_sync(workspace: dict, tmp: Path, qps: float, rate_limit: float, concurrency: int) -> dict:
    """Sync `workspace` from an emulator granting `qps`; the figures of the run."""
    workspace_file = tmp / "workspace.json"
    workspace_file.write_text(json.dumps(workspace))
    proc, url = start_emulator(workspace_file, qps)
    try:
        settings = DataWorksSettings(endpoint=url, rate_limit=rate_limit, concurrency=concurrency)
        client = DataWorksClient(settings, KEY)
        store = SnapshotStore(tmp / f"data-{qps:g}")
        started = time.perf_counter()
        result = run_sync(client, store, SyncRequest(history_days=1))
        wall = time.perf_counter() - started
        with urllib.request.urlopen(f"{url}/_emulator/stats", timeout=10) as reply:
            served = json.loads(reply.read())
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    info = result.info
    return {"nodes": info["node_count"], "edges": info["edge_count"], "instances": info["instance_count"],
            "api_calls": client.stats.calls, "calls_by_action": dict(client.stats.by_action),
            "calls_per_node": round(client.stats.calls / info["node_count"], 4), "retries": client.stats.retries,
            "throttled": client.stats.throttled, "served": served["served"],
            "page_limit_refusals": served["page_limit"], "wall_seconds": round(wall, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, help="workspace size (default 20,000; 2,000 with --quota)")
    parser.add_argument("--qps", type=int, default=200, help="the emulator's quota = the client's rate limit")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--projects", type=int, help="number of workspaces (default: one per ~3,500 nodes)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--quota", action="store_true", help="quota at 50 %% and 25 %% of --rate-limit")
    parser.add_argument("--rate-limit", type=float, default=100.0, help="the client's rate limit with --quota")
    args = parser.parse_args()
    nodes = args.nodes or (2_000 if args.quota else 20_000)

    # History ends yesterday in DataWorks time, the bizdate a first sync with history_days=1 fetches.
    yesterday = datetime.now(timezone(timedelta(hours=8))).date() - timedelta(days=1)
    workspace = generate_workspace(nodes, seed=args.seed, days=1, end_bizdate=yesterday, projects=args.projects)
    with tempfile.TemporaryDirectory(prefix="opsguard-bench-sync-") as tmp:
        if args.quota:
            figures = quota_runs(workspace, Path(tmp), args)
        else:
            figures = full_run(workspace, Path(tmp), args)
    print(json.dumps(figures))


def full_run(workspace: dict, tmp: Path, args: argparse.Namespace) -> dict:
    run = one_sync(workspace, tmp, args.qps, float(args.qps), args.concurrency)
    floor = run["api_calls"] / args.qps
    figures = {"bench": "sync", **run, "workspaces": len(workspace["projects"]), "qps": args.qps,
               "concurrency": args.concurrency, "page_limits": True, "floor_seconds": round(floor, 2),
               "wall_over_floor": round(run["wall_seconds"] / floor, 3),
               "targets": {"calls_per_node": 1.05, "wall_over_floor": 1.25}}
    print(f"nodes {run['nodes']} in {figures['workspaces']} workspace(s), edges {run['edges']}, "
          f"run history rows {run['instances']}")
    print(f"API calls {run['api_calls']} ({run['calls_per_node']} per node; target <= 1.05) under the page limits "
          f"({run['page_limit_refusals']} pages refused), retries {run['retries']}, throttled {run['throttled']}")
    print(f"wall {run['wall_seconds']:.1f} s vs floor {floor:.1f} s at {args.qps} qps: ratio "
          f"{figures['wall_over_floor']} (target <= 1.25)")
    return figures


def quota_runs(workspace: dict, tmp: Path, args: argparse.Namespace) -> dict:
    runs = []
    for fraction in QUOTA_FRACTIONS:
        quota = args.rate_limit * fraction
        run = one_sync(workspace, tmp, quota, args.rate_limit, args.concurrency)
        achieved = run["served"] / run["wall_seconds"]
        run.update(quota_fraction=fraction, quota=quota, achieved_rate=round(achieved, 2),
                   achieved_over_quota=round(achieved / quota, 3))
        runs.append(run)
        print(f"quota {quota:g}/s ({fraction:.0%} of rate_limit {args.rate_limit:g}): {run['served']} calls served "
              f"in {run['wall_seconds']:.1f} s = {achieved:.1f}/s, achieved / quota {run['achieved_over_quota']} "
              f"(target >= 0.8); {run['throttled']} throttled replies")
    return {"bench": "sync-quota", "nodes": runs[0]["nodes"], "rate_limit": args.rate_limit,
            "concurrency": args.concurrency, "runs": runs,
            "min_achieved_over_quota": min(r["achieved_over_quota"] for r in runs),
            "targets": {"achieved_over_quota": 0.8}}


if __name__ == "__main__":
    main()
