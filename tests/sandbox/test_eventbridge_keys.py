"""sandbox.eventbridge_keys: the emulator publishes the sandbox EventBridge's keys over loopback, rotates them,
and the pusher's pushes verify against the key fetched from the URL they name."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

from opsguard.webhook.signature import load_public_key, verify_push
from sandbox.pusher import sign_push
from sandbox.workspace import write_workspace

BODY = b'{"id": "m-1"}'
URL = "http://opsguard.test/events"


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 — loopback emulator
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read()


def test_the_current_key_is_published_at_the_url_pushes_name(emulator):
    key = emulator.eventbridge.current
    assert key.url.startswith(f"{emulator.url}/_emulator/eventbridge/x509_public_certificate_")
    status, content_type, pem = get(key.url)
    assert (status, content_type, pem) == (200, "application/x-pem-file", key.public_pem)
    assert b"BEGIN CERTIFICATE" in pem and emulator.eventbridge.fetches[key.name] == 1
    for scheme in ("v1", "v2", "both"):
        headers = sign_push(URL, BODY, key.private_pem, key.url, scheme=scheme)
        assert headers["x-eventbridge-signature-url"] == key.url
        verify_push(URL, headers, BODY, pem, now_ms=int(time.time() * 1000))


def test_an_unknown_key_file_is_404(emulator):
    status, _, body = get(f"{emulator.url}/_emulator/eventbridge/x509_public_certificate_99.pem")
    assert status == 404 and json.loads(body)["Code"] == "NoSuchKey"


def test_rotation_publishes_a_new_key_at_a_new_url_and_keeps_the_old_one(emulator):
    keys = emulator.eventbridge
    first = keys.current
    second = keys.rotate()
    assert second.url != first.url and keys.current == second
    assert get(first.url)[2] == first.public_pem and get(second.url)[2] == second.public_pem
    assert load_public_key(first.public_pem).public_numbers() != load_public_key(second.public_pem).public_numbers()


def test_a_replacement_in_place_serves_a_new_key_at_the_same_url(emulator):
    keys = emulator.eventbridge
    first = keys.current
    replaced = keys.replace_in_place()
    assert replaced.url == first.url and replaced.public_pem != first.public_pem
    assert get(first.url)[2] == replaced.public_pem


def test_the_cli_writes_the_signing_key_and_prints_its_url(small_workspace, tmp_path):
    workspace = tmp_path / "ws.json"
    write_workspace(small_workspace, workspace)
    key_file = tmp_path / "eventbridge.pem"
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.emulator", "--workspace", str(workspace), "--port", "0",
                             "--access-key-id", "ak", "--access-key-secret", "sk", "--eventbridge-key-out",
                             str(key_file)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        listening = proc.stdout.readline().strip()
        key_line = proc.stdout.readline().strip()
        assert listening.startswith("listening on http://127.0.0.1:")
        assert key_line.startswith("eventbridge key URL http://127.0.0.1:")
        key_url = key_line.rsplit(" ", 1)[1]
        status, _, pem = get(key_url)
        headers = sign_push(URL, BODY, key_file.read_bytes(), key_url, scheme="v2")
        assert status == 200 and verify_push(URL, headers, BODY, pem, now_ms=int(time.time() * 1000))
    finally:
        proc.terminate()
        proc.wait(20)
