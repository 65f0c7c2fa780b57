"""Secrets never leave: the access key secret, the pages' token and a PostgreSQL password appear in no log
line, page, API answer, metric or `--json` output of a real `opsguard serve` and the commands beside it —
also when things go wrong (refused pushes, a wrong token, an unreachable DataWorks, a bad store URL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
from tests.service.conftest import REPO, Pusher, sample, wait_for, wait_reported, write_config

AK_SECRET = "SECRET-ak-2f9c41e7d0"
UI_TOKEN = "SECRET-ui-token-5a1b9e3c77"
PG_PASSWORD = "SECRET-pg-6d2e8f0a14"


def test_no_secret_in_logs_pages_answers_or_json(tmp_path, data_dir, demo_workspace, keypair, postgres_server):
    from sandbox.emulator import Emulator

    emulator = Emulator(demo_workspace, access_key_id="test-ak-0001", access_key_secret=AK_SECRET).start()
    url = postgres_server.database().replace("postgresql://postgres@", f"postgresql://postgres:{PG_PASSWORD}@")
    public = tmp_path / "eventbridge-public.pem"
    public.write_bytes(keypair[1])
    config = write_config(tmp_path / "opsguard.toml", emulator, public, state_url=url)
    env = {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_ID": "test-ak-0001", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": AK_SECRET,
           "PYTHONPATH": str(REPO), "OPSGUARD_UI_TOKEN": UI_TOKEN}
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "opsguard", "serve", "--port", "0", "--json", "--config",
                                   str(config), "--data-dir", str(data_dir)], stdout=subprocess.PIPE, stderr=log,
                                  env=env, cwd=tmp_path)
    seen: list[str] = []
    try:
        first = server.stdout.readline().decode()
        seen.append(first)
        base = json.loads(first)["url"]
        wait_for(lambda: _status(f"{base}/readyz") == 200, what="ready")
        pusher = Pusher(base, keypair[0], httpx.Client(timeout=10.0, headers={"authorization": f"Bearer {UI_TOKEN}"}))
        good = sample("freeze-node", fresh=True)
        seen.append(pusher.push(good).text)
        wait_reported(emulator, [good["id"]])
        bad = pusher.body(sample("undeploy-node", fresh=True))
        seen.append(pusher.post(bad, {"content-type": "application/json"}).text)           # unauthenticated
        for path in ("/checks", f"/checks/{good['id']}", "/api/checks", f"/api/checks/{good['id']}", "/metrics",
                     "/readyz", "/api/audit", "/docs"):
            seen.append(pusher.client.get(f"{base}{path}").text)
        seen.append(httpx.post(f"{base}/login", data={"token": "wrong"}).text)
        for args in (["audit", "--json", "--state-url", url], ["audit", "--json", "--state-url",
                                                               url.replace("/t_", "/missing_")],
                     ["sync", "--json", "--endpoint", "http://127.0.0.1:9", "--data-dir", str(tmp_path / "d2")]):
            done = subprocess.run([sys.executable, "-m", "opsguard", *args], capture_output=True, text=True,
                                  env=env, cwd=tmp_path, timeout=120)
            seen += [done.stdout, done.stderr]
    finally:
        server.terminate()
        server.wait(30)
        emulator.stop()
    seen.append(log_path.read_text(errors="replace"))
    everything = "\n".join(seen)
    assert len(everything) > 5000                                           # the outputs were really read
    for secret in (AK_SECRET, UI_TOKEN, PG_PASSWORD):
        assert secret not in everything, f"{secret} leaked"


def _status(url: str) -> int:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return 0
