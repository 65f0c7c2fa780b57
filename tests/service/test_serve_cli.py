"""`opsguard serve` and `opsguard demo` on the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from opsguard.cli import app
from tests.conftest import TEST_KEY
from tests.service.conftest import REPO, sample, wait_reported

runner = CliRunner()


@pytest.mark.parametrize("config, message", [
    ('[dataworks]\nextension_code = "x"\n[server]\nauth = "magic"\n', "server.auth: must be one of 'signature', 'token' or 'none', not 'magic'"),
    ('[dataworks]\nextension_code = "x"\n[server]\nport = "80"\n', "server.port: must be an integer, not a string"),
    ('[dataworks]\nextension_code = "x"\n[server]\nbogus = 1\n', "unknown key server.bogus"),
    ('[dataworks]\nextension_code = "x"\n[schedule]\nfull_sync_at = "25:00"\n', "schedule.full_sync_at: must be HH:MM"),
    ('[server]\nauth = "none"\n', "set dataworks.extension_code"),
    ('[dataworks]\nextension_code = "x"\n[server]\npublic_key_file = "missing.pem"\n', "cannot read server.public_key_file"),
    ('[dataworks]\nextension_code = "x"\n[server]\nauth = "token"\n', "needs the token in $OPSGUARD_WEBHOOK_TOKEN"),
    ('[dataworks]\nextension_code = "x"\n[server]\nhost = "0.0.0.0"\n', "needs server.public_url"),
    ('[dataworks]\nextension_code = "x"\n[server]\nkey_urls = ["http://keys.example.com"]\n', "plain http"),
    ('[dataworks]\nextension_code = "x"\n[server]\nkey_urls = "https://k.example.com"\n',
     "server.key_urls: must be an array of strings, not a string"),
    ('[dataworks]\nextension_code = "x"\n[server]\neventbridge_token_env = "OPSGUARD_TEST_UNSET_TOKEN"\n',
     "names $OPSGUARD_TEST_UNSET_TOKEN, which is empty"),
])
def test_bad_server_config_is_a_one_line_usage_error(tmp_path, monkeypatch, config, message):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", TEST_KEY.id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", TEST_KEY.secret)
    monkeypatch.delenv("OPSGUARD_WEBHOOK_TOKEN", raising=False)
    path = tmp_path / "opsguard.toml"
    path.write_text(config, encoding="utf-8")
    result = runner.invoke(app, ["serve", "--config", str(path), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 2, result.output
    assert message in result.output and result.output.count("\n") == 1, result.output


def test_serve_listens_answers_and_stops_cleanly_on_sigterm(serve_process, emulator):
    server = serve_process()
    event = sample("freeze-node", fresh=True)
    assert server.pusher.push(event).status_code == 202
    record = wait_reported(emulator, [event["id"]], server=server)[event["id"]][0]
    assert record["CheckResult"] == "FAIL"
    assert server.pusher.client.get(f"{server.url}/checks/{event['id']}").status_code == 200
    assert server.terminate() == 0


def test_demo_runs_the_whole_loop_and_exits_0(tmp_path):
    import socket

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("OPSGUARD_HOME", None)
    with socket.socket() as probe:                       # a port free now, for --port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = subprocess.run([sys.executable, "-m", "opsguard", "demo", "--json", "--nodes", "400", "--port",
                             str(port), "--data-dir", str(tmp_path / "d")], capture_output=True, text=True,
                            timeout=240, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["demo"]["nodes"] == 400 and lines[0]["sync"]["node_count"] == 400
    assert lines[0]["demo"]["server"] == f"http://127.0.0.1:{port}"
    assert lines[0]["demo"]["state"].endswith("state.sqlite")      # where `opsguard audit` finds the decisions
    rows = {row["event"]: row for row in lines[1:]}
    assert list(rows) == ["freeze-node", "node-change-updated", "unfreeze-node", "undeploy-node", "backfill-data"]
    for code, row in rows.items():
        if code == "node-change-updated":
            assert row["http_status"] == 200 and row["check_result"] is None
            continue
        assert row["http_status"] == 202 and row["check_result"] in ("OK", "FAIL") and row["result"]
        assert row["tip"].startswith({"OK": "OK: ", "WARN": "WARNING: ", "FAIL": "FAIL: "}[row["result"]])
        assert row["details_url"].startswith("http://127.0.0.1:") and row["message_id"] in row["details_url"]
    assert rows["undeploy-node"]["check_result"] == "FAIL"
    assert rows["freeze-node"]["nodes"] == "ods_trade_order_di"                 # by name, as a person reads it
    assert rows["undeploy-node"]["nodes"] == "ods_trade_order_di, ods_trade_refund_di"
    found = runner.invoke(app, ["audit", "--json", "--data-dir", str(Path(lines[0]["demo"]["state"]).parent)])
    assert found.exit_code == 0, found.output           # `opsguard audit` reads what the demo decided
    decided = json.loads(found.stdout)["decisions"]
    assert sorted(d["message_id"] for d in decided) == sorted(r["message_id"] for c, r in rows.items()
                                                              if c != "node-change-updated")


def test_serve_on_a_data_dir_it_cannot_use_exits_2_with_one_line(tmp_path, emulator, keypair):
    from tests.service.conftest import write_config

    public = tmp_path / "eventbridge-public.pem"
    public.write_bytes(keypair[1])
    config = write_config(tmp_path / "opsguard.toml", emulator, public)
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("x")
    env = {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_ID": "ak", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sk",
           "OPSGUARD_UI_TOKEN": "a-ui-token-long-enough"}
    for data in (a_file, a_file / "below", Path("/proc/opsguard-cannot-be-here")):
        done = subprocess.run([sys.executable, "-m", "opsguard", "serve", "--port", "0", "--config", str(config),
                               "--data-dir", str(data)], capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 2, done.stderr
        errors = [line for line in done.stderr.splitlines() if "error" in line.lower()]
        assert len(errors) == 1 and "Traceback" not in done.stderr and str(data.parent) in errors[0], done.stderr


def test_serve_on_a_busy_port_exits_2_with_one_line(tmp_path, emulator, keypair, data_dir):
    """It exited 3 with uvicorn's errno after starting its workers; now the port is taken first."""
    import socket

    from tests.service.conftest import write_config

    public = tmp_path / "eventbridge-public.pem"
    public.write_bytes(keypair[1])
    config = write_config(tmp_path / "opsguard.toml", emulator, public)
    env = {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_ID": "ak", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sk",
           "OPSGUARD_UI_TOKEN": "a-ui-token-long-enough", "PYTHONPATH": str(REPO)}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "opsguard", "serve", "--port", str(port), "--config", str(config),
                               "--data-dir", str(data_dir)], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and f"cannot listen on 127.0.0.1:{port}" in errors[0] and "Traceback" not in done.stderr


def test_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("opsguard ") and "Usage" not in result.stdout


def test_demo_on_a_busy_port_exits_2_with_one_line(tmp_path):
    import socket

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "opsguard", "demo", "--nodes", "50", "--port", str(port),
                               "--data-dir", str(tmp_path / "d")], capture_output=True, text=True, env=env,
                              timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and f"cannot listen on 127.0.0.1:{port}" in errors[0] and "Traceback" not in done.stderr
