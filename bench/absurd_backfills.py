"""Absurd backfills between ordinary events: do they hold anyone up, and are they refused?

One `opsguard serve` on the 100,000-node bench snapshot, warmed up with 20 events; `--events` ordinary events
(the serve bench's mix) pushed at `--rate`/s, twice: once alone (the baseline), once with two absurd backfills among them —
every bizdate from 0001-01-01 to 9999-12-31, and every node of the hub's downstream on bizdate 9999-12-31.
Printed: the ordinary events' push → reported p50/p99 in both runs and their ratio (target ≤ 2), and what
the absurd ones were answered (target FAIL, in milliseconds). The last line is one JSON object.

    python bench/absurd_backfills.py [--events 100] [--rate 20] [--nodes 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serve import (CACHE, HUB, KEY_ID, KEY_SECRET, Signer, data_dir, event, node_ids, snapshot,  # noqa: E402
                   start_server)


def absurd(kind: str) -> dict:
    periods = [{"bizBeginTime": "0001-01-01", "bizEndTime": "9999-12-31"}] if kind == "span" else \
        [{"bizBeginTime": "9999-12-31", "bizEndTime": "9999-12-31"}]
    data = {"operator": "203100000000042", "projectId": 215001, "tenantId": 4100000000001, "eventCode": "backfill-data",
            "extensionBizId": "ebz-" + uuid.uuid4().hex[:12], "name": f"P_absurd_{kind}", "rootNodeId": HUB,
            "rootNodeProjectId": 215001, "excludeNodeIds": [], "useMultipleTimePeriods": False, "isParallel": True,
            "parallelGroup": 8, "order": "asc", "startFutureInstanceImmediately": False,
            "multipleTimePeriods": json.dumps(periods)}   # no includeNodeIds: root and all of its downstream
    return {"id": str(uuid.uuid4()), "source": "acs.dataworks", "specversion": "1.0",
            "type": "dataworks:BackfillDataOperate:BackfillData", "datacontenttype": "application/json;charset=utf-8",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "data": data}


def push_all(url: str, private_pem: bytes, envelopes: list[dict], rate: float) -> dict[str, float]:
    """Push in order at `rate`; each message id's send time."""
    import httpx

    signer, sent = Signer(private_pem), {}
    with httpx.Client(timeout=10.0) as client:
        started = time.perf_counter()
        for i, envelope in enumerate(envelopes):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            body = json.dumps(envelope, separators=(",", ":")).encode()
            sent[envelope["id"]] = time.time()
            answer = client.post(f"{url}/events", content=body, headers={
                "content-type": "application/json", **signer.headers(f"{url}/events", body)})
            if answer.status_code != 202:
                raise SystemExit(f"push refused: {answer.status_code} {answer.text[:200]}")
    return sent


def latencies(emulator, sent: dict[str, float], ids: list[str], timeout: float = 120.0) -> list[float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = {r["MessageId"]: r["ReceivedAt"] for r in emulator.results}
        if all(m in got for m in ids):
            return sorted(got[m] - sent[m] * 1000 for m in ids)
        time.sleep(0.2)
    raise SystemExit("not every event was reported in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--nodes", type=int, default=100_000)
    args = parser.parse_args()
    from sandbox.emulator import Emulator
    from sandbox.pusher import generate_test_keypair
    from sandbox.workspace import generate_workspace

    snap = snapshot(args.nodes, 7)
    run = CACHE / "absurd-run"
    ids = node_ids(snap, 2_000, 7)
    private_pem, public_pem = generate_test_keypair()
    rng = random.Random(3)
    figures: dict = {"events": args.events, "rate": args.rate, "nodes": args.nodes}
    with Emulator(generate_workspace(50), access_key_id=KEY_ID, access_key_secret=KEY_SECRET) as emulator:
        for label in ("alone", "with_absurd"):
            server, url = start_server(run, data_dir(run, snap), emulator.url, public_pem)
            try:
                warm = [event(rng, ids) for _ in range(20)]   # the workers' first calls (imports, first judgement)
                latencies(emulator, push_all(url, private_pem, warm, args.rate), [e["id"] for e in warm])
                ordinary = [event(rng, ids) for _ in range(args.events)]
                strange = [absurd("span"), absurd("far-bizdate")] if label == "with_absurd" else []
                envelopes = list(ordinary)
                for i, envelope in enumerate(strange):   # a third and two thirds of the way through
                    envelopes.insert((i + 1) * len(envelopes) // 3, envelope)
                sent = push_all(url, private_pem, envelopes, args.rate)
                latencies(emulator, sent, [e["id"] for e in envelopes])          # every one reported
                ordinary_times = latencies(emulator, sent, [e["id"] for e in ordinary])
                figures[f"{label}_reported_p50_ms"] = round(statistics.median(ordinary_times), 1)
                figures[f"{label}_reported_p99_ms"] = round(ordinary_times[int(len(ordinary_times) * 0.99) - 1], 1)
                for envelope in strange:
                    record = next(r for r in emulator.results if r["MessageId"] == envelope["id"])
                    name = envelope["data"]["name"].removeprefix("P_absurd_").replace("-", "_")
                    figures[f"absurd_{name}"] = record["CheckResult"]
                    figures[f"absurd_{name}_reported_ms"] = round(record["ReceivedAt"] - sent[envelope["id"]] * 1000, 1)
                    figures[f"absurd_{name}_tip"] = record["CheckResultTip"][:160]
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(30)
    figures["p99_with_vs_alone"] = round(figures["with_absurd_reported_p99_ms"]
                                         / max(figures["alone_reported_p99_ms"], 0.1), 2)
    for key, value in figures.items():
        print(f"{key:>34}: {value}")
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
