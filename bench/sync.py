"""Benchmark: a full sync of a generated 20,000-node workspace through the real SDK against the
emulator (in its own process) limited to --qps 200.

Prints API calls, calls per node, wall time and wall / floor, where floor = calls / qps is the
least time any client could take at that rate. Targets (issue 2): calls per node <= 1.05,
wall / floor <= 1.25. The last line is one JSON object with every figure.

    python bench/sync.py [--nodes 20000] [--qps 200] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
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


def start_emulator(workspace_file: Path, qps: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.emulator", "--workspace", str(workspace_file), "--port", "0",
         "--access-key-id", KEY.id, "--access-key-secret", KEY.secret, "--qps", str(qps)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return proc, line.removeprefix("listening on ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=20_000)
    parser.add_argument("--qps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="opsguard-bench-sync-") as tmp:
        # History ends yesterday in DataWorks time, the bizdate a first sync with history_days=1 fetches.
        yesterday = datetime.now(timezone(timedelta(hours=8))).date() - timedelta(days=1)
        workspace = generate_workspace(args.nodes, seed=args.seed, days=1, end_bizdate=yesterday)
        workspace_file = Path(tmp) / "workspace.json"
        workspace_file.write_text(json.dumps(workspace))
        proc, url = start_emulator(workspace_file, args.qps)
        try:
            settings = DataWorksSettings(endpoint=url, rate_limit=float(args.qps), concurrency=args.concurrency,
                                         max_attempts=20)
            client = DataWorksClient(settings, KEY)
            started = time.perf_counter()
            result = run_sync(client, SnapshotStore(Path(tmp) / "data"), SyncRequest(history_days=1))
            wall = time.perf_counter() - started
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    info = result.info
    calls = client.stats.calls
    floor = calls / args.qps
    figures = {
        "bench": "sync", "nodes": info["node_count"], "edges": info["edge_count"],
        "instances": info["instance_count"], "qps": args.qps, "concurrency": args.concurrency,
        "api_calls": calls, "calls_by_action": dict(client.stats.by_action),
        "calls_per_node": round(calls / info["node_count"], 4), "retries": client.stats.retries,
        "throttled": client.stats.throttled, "wall_seconds": round(wall, 2), "floor_seconds": round(floor, 2),
        "wall_over_floor": round(wall / floor, 3),
        "targets": {"calls_per_node": 1.05, "wall_over_floor": 1.25},
    }
    print(f"nodes {figures['nodes']}, edges {figures['edges']}, run history rows {figures['instances']}")
    print(f"API calls {calls} ({figures['calls_per_node']} per node; target <= 1.05), "
          f"retries {figures['retries']}, throttled {figures['throttled']}")
    print(f"wall {wall:.1f} s vs floor {floor:.1f} s at {args.qps} qps: ratio {figures['wall_over_floor']} "
          f"(target <= 1.25)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
