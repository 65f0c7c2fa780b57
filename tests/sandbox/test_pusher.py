"""sandbox.pusher delivers signed envelopes over real HTTP; its CLI reports each push."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from opsguard.webhook.signature import WebhookAuthError, verify_push
from sandbox.pusher import SCHEMES, generate_test_keypair, push

SAMPLE = {  # evaluator/demo_samples/freeze-node.json
    "id": "6f1c2a40-8d3e-4b7a-9c55-0e2f1a7b3c01", "source": "acs.dataworks", "specversion": "1.0",
    "type": "dataworks:NodeChange:FreezeNode", "datacontenttype": "application/json;charset=utf-8",
    "subject": "acs.dataworks:cn-shanghai:1650000000000001:215001", "time": "2026-11-20T02:14:08.511Z",
    "data": {"eventCode": "freeze-node", "operator": "203100000000042", "projectId": 215001,
             "tenantId": 4100000000001, "nodeIds": [700000000101], "extensionBizId": "ebz-freeze-0001"},
}


@pytest.fixture(scope="module")
def keys() -> tuple[bytes, bytes]:
    return generate_test_keypair()


@pytest.fixture
def receiver(keys):
    """A webhook that verifies pushes with the public key: 204 if authentic, 401 if not."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            url = f"http://{self.headers['Host']}{self.path}"
            try:
                verify_push(url, dict(self.headers.items()), body, keys[1], now_ms=int(time.time() * 1000))
                received.append(json.loads(body))
                self.send_response(204)
            except WebhookAuthError as e:
                self.send_response(401)
                self.send_header("X-Reason", str(e))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/events?token=abc", received
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_push_is_accepted_by_a_verifying_receiver(receiver, keys, scheme):
    url, received = receiver
    result = push(url, SAMPLE, private_key_pem=keys[0], token="t-1", scheme=scheme)
    assert result.status == 204
    assert received == [SAMPLE]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_push_with_the_wrong_key_is_refused(receiver, scheme):
    url, received = receiver
    assert push(url, SAMPLE, private_key_pem=generate_test_keypair()[0], scheme=scheme).status == 401
    assert received == []


def test_an_unknown_scheme_is_a_value_error(keys):
    with pytest.raises(ValueError, match="scheme must be one of v1, v2, both"):
        push("http://127.0.0.1:9/", SAMPLE, private_key_pem=keys[0], scheme="v3")


def test_cli_pushes_each_file_and_exits_0_when_all_accepted(receiver, keys, tmp_path):
    url, received = receiver
    key = tmp_path / "eb.pem"
    key.write_bytes(keys[0])
    event = tmp_path / "event.json"
    event.write_text(json.dumps(SAMPLE))
    result = subprocess.run([sys.executable, "-m", "sandbox.pusher", "--url", url, "--private-key", str(key),
                             "--scheme", "both", str(event), str(event)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("HTTP 204") == 2 and len(received) == 2


@pytest.mark.parametrize("problem", ["no-key", "bad-json", "no-args"])
def test_cli_bad_input_exits_2_with_one_line(tmp_path, keys, problem):
    key = tmp_path / "eb.pem"
    key.write_bytes(keys[0])
    event = tmp_path / "event.json"
    event.write_text("{broken" if problem == "bad-json" else "{}")
    args = {"no-key": ["--url", "http://127.0.0.1:9/", "--private-key", str(tmp_path / "absent.pem"), str(event)],
            "bad-json": ["--url", "http://127.0.0.1:9/", "--private-key", str(key), str(event)],
            "no-args": ["--url", "http://127.0.0.1:9/"]}[problem]
    result = subprocess.run([sys.executable, "-m", "sandbox.pusher", *args], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
