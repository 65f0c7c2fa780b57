"""Benchmark: what authenticating one push costs, per EventBridge signature scheme, against v1 (the baseline:
the only scheme checked before v2 support).

Each case runs `SignatureAuth.check` (freshness, key, every scheme the push carries, replay key) on pushes
signed by the sandbox pusher with a pinned 2048-bit key; a forged v2 signature is the worst case (every
candidate string-to-sign form is tried before the push is refused). Cases alternate over `--rounds`, each
figure is the median round. The last line is one JSON object.

    python bench/push_auth.py [--pushes 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from opsguard.webhook.auth import AuthFailure, SignatureAuth  # noqa: E402
from sandbox.pusher import generate_test_keypair, sign_push  # noqa: E402

URL = "https://opsguard.example.com/events"
KEY_URL = "https://cn-shanghai-eventbridge.oss-accelerate.aliyuncs.com/x509_public_certificate.pem"
CASES = ("v1", "v2", "both", "v2-forged")


def pushes(case: str, n: int, private_pem: bytes) -> list[tuple[dict[str, str], bytes]]:
    out = []
    for i in range(n):
        body = json.dumps({"id": f"m-{i}", "data": {"eventCode": "freeze-node", "nodeIds": [i]}}).encode()
        headers = sign_push(URL, body, private_pem, KEY_URL, scheme=case.removesuffix("-forged"))
        if case.endswith("-forged"):   # a real signature, of another body: well-formed, matches no form
            other = sign_push(URL, body + b" ", private_pem, KEY_URL, scheme="v2")
            headers["x-eventbridge-signature-v2"] = other["x-eventbridge-signature-v2"]
        out.append((headers, body))
    return out


def us_per_push(auth: SignatureAuth, batch: list[tuple[dict[str, str], bytes]]) -> float:
    started = time.perf_counter()
    for headers, body in batch:
        try:
            auth.check(URL, headers, body)
        except AuthFailure:
            pass
    return (time.perf_counter() - started) / len(batch) * 1e6


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    private_pem, public_pem = generate_test_keypair()
    auth = SignatureAuth(public_pem)
    batches = {case: pushes(case, args.pushes, private_pem) for case in CASES}
    rounds: dict[str, list[float]] = {case: [] for case in CASES}
    for _ in range(args.rounds):
        for case in CASES:
            rounds[case].append(us_per_push(auth, batches[case]))
    figures = {f"{case}_us": round(statistics.median(rounds[case]), 1) for case in CASES}
    base = figures["v1_us"]
    for case in CASES[1:]:
        figures[f"{case}_vs_v1"] = round(figures[f"{case}_us"] / base, 2)
        print(f"{case:10s} {figures[f'{case}_us']:8.1f} µs/push  ({figures[f'{case}_vs_v1']:.2f}x v1)")
    print(f"{'v1':10s} {base:8.1f} µs/push  (baseline)")
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
