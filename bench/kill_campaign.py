"""Fault campaign: `opsguard serve` killed with SIGKILL again and again while signed pushes keep coming.

Pushes go out at `--rate` events/s the whole time (to whichever server is up); every `--interval` seconds
the server is killed -9 and started again on the same data dir and store; DataWorks (the emulator) answers
results `--result-latency-ms` late, so posts are in flight when the kill lands. At the end a last server
drains the backlog. Then, from the emulator's record and the store:

- `lost`: pushes answered 2xx but never reported (must be 0);
- `mixed_results`: messages posted with two different results (must be 0);
- `posts_not_recorded`: posts the emulator received beyond the attempts `deliveries` holds for the message
  (every post is written down before it leaves: must be 0);
- `posted_twice`: messages posted more than once, each with an attempt whose outcome died with a server
  (`unknown`): posting is at-least-once, and DataWorks offers no way to ask whether a result arrived.

The baseline is the same pushes without kills (`--kills 0`); the last line is one JSON object.

    python bench/kill_campaign.py [--kills 12] [--interval 2] [--rate 80] [--state-url URL | --postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import signal
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serve import CACHE, KEY_ID, KEY_SECRET, ROOT, Signer, data_dir, event, node_ids, snapshot, start_server  # noqa: E402


def push_until(stop: threading.Event, url: list[str], private_pem: bytes, ids: list[int], rate: float,
               records: list[dict]) -> None:
    """Push signed events at `rate` until `stop`; `url[0]` is wherever the server is now."""
    import httpx

    signer, rng = Signer(private_pem), random.Random(5)
    with httpx.Client(timeout=5.0) as client:
        started, sent = time.perf_counter(), 0
        while not stop.is_set():
            delay = started + sent / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            envelope, target = event(rng, ids), url[0]
            body = json.dumps(envelope, separators=(",", ":")).encode()
            try:
                status = client.post(f"{target}/events", content=body, headers={
                    "content-type": "application/json", **signer.headers(f"{target}/events", body)}).status_code
            except httpx.HTTPError:
                status = 0
            records.append({"id": envelope["id"], "status": status})
            sent += 1


def campaign(args: argparse.Namespace, state_url: str) -> dict:
    from opsguard.store import open_store
    from sandbox.emulator import Emulator
    from sandbox.pusher import generate_test_keypair
    from sandbox.workspace import generate_workspace

    snap = snapshot(args.nodes, 7)
    run = CACHE / "kill-run"
    data = data_dir(run, snap)
    ids = node_ids(snap, 2_000, 7)
    private_pem, public_pem = generate_test_keypair()
    extra = ("lease_seconds = 5.0",) + ((f"state_url = {json.dumps(state_url)}",) if state_url else ())
    records: list[dict] = []
    with Emulator(generate_workspace(50), access_key_id=KEY_ID, access_key_secret=KEY_SECRET,
                  latency_ms=args.result_latency_ms) as emulator:
        server, url = start_server(run, data, emulator.url, public_pem, extra)
        where, stop = [url], threading.Event()
        pusher = threading.Thread(target=push_until, args=(stop, where, private_pem, ids, args.rate, records))
        pusher.start()
        try:
            for _ in range(args.kills):
                time.sleep(args.interval)
                server.send_signal(signal.SIGKILL)
                server.wait(10)
                server, where[0] = start_server(run, data, emulator.url, public_pem, extra)
            time.sleep(args.interval)
        finally:
            stop.set()
            pusher.join(30)
        accepted = {r["id"] for r in records if 200 <= r["status"] < 300}
        deadline = time.monotonic() + args.drain_seconds
        while time.monotonic() < deadline and not accepted <= {r["MessageId"] for r in emulator.results}:
            time.sleep(0.5)
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        posts: dict[str, list[str]] = {}
        for record in emulator.results:
            posts.setdefault(record["MessageId"], []).append(record["CheckResult"])
    store = open_store(data_dir=data, state_url=state_url, migrate_schema=False)
    try:
        attempts = {m: store.deliveries(m) for m in accepted}
    finally:
        store.close()
    twice = [m for m in accepted if len(posts.get(m, [])) > 1]
    return {"kills": args.kills, "store": "postgresql" if state_url else "sqlite", "pushed": len(records),
            "accepted": len(accepted), "not_2xx": len(records) - len(accepted),
            "lost": len(accepted - set(posts)),
            "mixed_results": sum(1 for m in accepted if len(set(posts.get(m, []))) > 1),
            "posts_not_recorded": sum(max(len(posts.get(m, [])) - len(attempts[m]), 0) for m in accepted),
            "posted_twice": len(twice),
            "posted_twice_with_an_unknown_attempt": sum(1 for m in twice
                                                        if any(a.outcome == "unknown" for a in attempts[m])),
            "unknown_attempts": sum(1 for m in accepted for a in attempts[m] if a.outcome == "unknown")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between kills")
    parser.add_argument("--rate", type=float, default=80.0, help="pushes per second")
    parser.add_argument("--nodes", type=int, default=3000)
    parser.add_argument("--result-latency-ms", type=float, default=30.0)
    parser.add_argument("--drain-seconds", type=float, default=120.0)
    parser.add_argument("--state-url", default="")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster as the store")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        state_url = args.state_url
        if args.postgres and not state_url:
            sys.path.insert(0, str(ROOT))
            from tests.postgres_server import PostgresServer

            pg = PostgresServer().start()
            stack.callback(pg.stop)
            state_url = pg.database()
        result = campaign(args, state_url)
    for key, value in result.items():
        print(f"{key:>38}: {value}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
