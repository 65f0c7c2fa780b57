"""python -m sandbox.emulator: prints its URL, serves the SDK, exits cleanly; bad input exits 2."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from alibabacloud_dataworks_public20200518 import models as m

from sandbox.workspace import write_workspace

AK, SECRET = "cli-ak", "cli-secret"


@pytest.fixture(scope="module")
def workspace_file(tmp_path_factory, small_workspace) -> str:
    path = tmp_path_factory.mktemp("emu") / "ws.json"
    write_workspace(small_workspace, path)
    return str(path)


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sandbox.emulator", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def served(workspace_file) -> Iterator[tuple[subprocess.Popen, str]]:
    proc = _start("--workspace", workspace_file, "--port", "0", "--access-key-id", AK, "--access-key-secret", SECRET)
    line = proc.stdout.readline().strip()
    yield proc, line
    if proc.poll() is None:
        proc.kill()
        proc.wait()


class _Endpoint:
    def __init__(self, endpoint: str):
        self.endpoint = endpoint


def test_cli_prints_exactly_one_listening_line_and_serves_the_sdk(served, sdk):
    proc, line = served
    assert line.startswith("listening on http://127.0.0.1:")
    client = sdk(_Endpoint(line.removeprefix("listening on http://")), access_key_id=AK, secret=SECRET)
    body = client.get_node(m.GetNodeRequest(node_id=700000000101, project_env="PROD")).body
    assert body.data.node_name == "ods_trade_order_di"


def test_cli_serves_500_requests_per_second_to_8_sdk_threads(served, sdk):
    proc, line = served
    endpoint = _Endpoint(line.removeprefix("listening on http://"))
    clients = [sdk(endpoint, access_key_id=AK, secret=SECRET) for _ in range(8)]
    for c in clients:
        c.get_node_parents(m.GetNodeParentsRequest(node_id=700000000206, project_env="PROD"))  # warm up
    calls, stop = [0] * 8, time.perf_counter() + 1.5

    def work(k: int) -> None:
        while time.perf_counter() < stop:
            clients[k].get_node_parents(m.GetNodeParentsRequest(node_id=700000000206, project_env="PROD"))
            calls[k] += 1

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rate = sum(calls) / (time.perf_counter() - start)
    print(f"emulator subprocess, SDK from 8 threads: {rate:.0f} requests/s")
    assert rate >= 400  # >= 500/s on a quiet machine; some slack for CI neighbours


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_exits_cleanly_on_sigterm_and_sigint(workspace_file, sig):
    proc = _start("--workspace", workspace_file, "--port", "0", "--access-key-id", AK, "--access-key-secret", SECRET)
    assert proc.stdout.readline().startswith("listening on ")
    proc.send_signal(sig)
    assert proc.wait(timeout=10) == 0
    assert proc.stderr.read() == ""


def test_bad_fixture_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"projects": [], "nodes": [{"NodeId": 1}], "edges": []}))
    proc = _start("--workspace", str(bad), "--port", "0", "--access-key-id", AK, "--access-key-secret", SECRET)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "missing key 'NodeName'" in err and str(bad) in err


@pytest.mark.parametrize("args,reason", [
    (["--port", "0"], "required: --workspace"),
    (["--workspace", "x.json", "--port", "70000"], "--port"),
    (["--workspace", "x.json", "--error-rate", "2"], "error_rate"),
    (["--workspace", "x.json", "--qps", "fast"], "invalid float value"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, workspace_file, args, reason):
    args = [workspace_file if a == "x.json" else a for a in args]
    proc = _start(*args, "--access-key-id", AK, "--access-key-secret", SECRET)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and reason in err and len(err.strip().splitlines()) == 1


def test_credentials_are_required(workspace_file):
    proc = subprocess.run([sys.executable, "-m", "sandbox.emulator", "--workspace", workspace_file],
                          capture_output=True, text=True, timeout=30,
                          env={k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD")})
    assert proc.returncode == 2 and "--access-key-id" in proc.stderr
