"""`opsguard sync` as a user runs it: a real subprocess, the real SDK, the emulator over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import duckdb

from lineage.snapshots import SnapshotStore

from tests.conftest import TEST_KEY, yesterday_in_dataworks_tz


def opsguard(*args: str, key=TEST_KEY, **popen) -> subprocess.Popen:
    env = {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_ID": key.id, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": key.secret}
    env.pop("OPSGUARD_CONFIG", None)
    if args and args[0] == "sync":  # the default 20 requests/s is for a real account; the emulator takes more
        args = (*args, "--rate-limit", "1000")
    return subprocess.Popen([sys.executable, "-m", "opsguard", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **popen)


def run(*args: str, **kw) -> subprocess.CompletedProcess:
    proc = opsguard(*args, **kw)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def table_counts(path) -> tuple[int, int, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return tuple(con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("nodes", "edges", "instances"))
    finally:
        con.close()


def test_sync_command_snapshot_equals_the_fixture(workspace_factory, emulator_factory, tmp_path):
    fixture = workspace_factory(500, seed=21, days=30, end_bizdate=yesterday_in_dataworks_tz())
    emulator = emulator_factory(fixture)
    done = run("sync", "--endpoint", emulator.url, "--data-dir", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    expected = (len(fixture["nodes"]), len({tuple(e) for e in fixture["edges"]}), len(fixture["instances"]))
    assert (summary["node_count"], summary["edge_count"], summary["instance_count"]) == expected
    assert table_counts(SnapshotStore(tmp_path).require_current().path) == expected
    assert TEST_KEY.secret not in done.stderr + done.stdout


def test_wrong_credentials_exit_2_with_one_line_and_keep_the_live_snapshot(workspace_factory, emulator_factory,
                                                                          tmp_path):
    from lineage.credentials import AccessKey

    emulator = emulator_factory(workspace_factory(120, seed=2, days=1))
    assert run("sync", "--endpoint", emulator.url, "--data-dir", str(tmp_path)).returncode == 0
    live = SnapshotStore(tmp_path).require_current()
    done = run("sync", "--endpoint", emulator.url, "--data-dir", str(tmp_path),
               key=AccessKey(TEST_KEY.id, "wrong-secret"))
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("opsguard: error:")]
    assert len(errors) == 1 and "credentials" in errors[0] and "SignatureDoesNotMatch" in errors[0]
    assert "Traceback" not in done.stderr and "wrong-secret" not in done.stderr
    assert SnapshotStore(tmp_path).require_current() == live


def test_missing_credentials_and_bad_config_exit_2(tmp_path):
    env_less = subprocess.run([sys.executable, "-m", "opsguard", "sync", "--data-dir", str(tmp_path)],
                              env={k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD")}
                              | {"HOME": str(tmp_path)}, capture_output=True, text=True, timeout=60)
    assert env_less.returncode == 2 and "ALIBABA_CLOUD_ACCESS_KEY_ID" in env_less.stderr
    bad = tmp_path / "opsguard.toml"
    bad.write_text("[dataworks]\nrate_limit = \"fast\"\n")
    done = run("sync", "--config", str(bad), "--data-dir", str(tmp_path))
    assert done.returncode == 2 and "dataworks.rate_limit" in done.stderr and "Traceback" not in done.stderr



def test_an_unreachable_endpoint_is_one_line_naming_it_and_what_to_check(tmp_path):
    """It printed `HTTP None: {'message': 'HTTPConnectionPool(host=...) Max retries exceeded with url: /?...'}`."""
    import socket

    with socket.socket() as probe:          # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    for endpoint, reason in ((f"http://127.0.0.1:{closed}", "connection refused"),
                             ("http://no-such-host.invalid:80", "host name does not resolve")):
        done = run("sync", "--endpoint", endpoint, "--project", "1", "--data-dir", str(tmp_path))
        errors = [line for line in done.stderr.splitlines() if "error" in line.lower()]
        assert done.returncode == 2 and len(errors) == 1, done.stderr
        line = errors[0]
        assert line.startswith("opsguard: error: cannot reach DataWorks at ") and endpoint in line, line
        assert reason in line and "--endpoint" in line and "proxy" in line, line
        for leak in ("HTTPConnectionPool", "{'message'", "PageSize", "Traceback", TEST_KEY.secret):
            assert leak not in done.stderr, leak
    assert SnapshotStore(tmp_path).current() is None


def test_an_endpoint_carrying_a_password_is_refused_without_repeating_it(tmp_path):
    """The endpoint is stored in every snapshot's sync_info and printed in messages: a user:password in it was kept."""
    for endpoint in ("http://ak:s3cret-word@127.0.0.1:9", "ak:s3cret-word@127.0.0.1:9"):
        done = run("sync", "--endpoint", endpoint, "--project", "1", "--data-dir", str(tmp_path), "--json")
        assert done.returncode == 2, done.stderr
        assert "must not carry user:password" in done.stderr, done.stderr
        assert "s3cret-word" not in done.stderr + done.stdout
    assert SnapshotStore(tmp_path).current() is None


def test_a_full_sync_says_why_it_is_not_incremental(workspace_factory, emulator_factory, tmp_path):
    """A changed endpoint (or workspace set) forces a full sync; it did so without a word."""
    fixture = workspace_factory(120, seed=3, days=2, end_bizdate=yesterday_in_dataworks_tz())
    first_emulator, second_emulator = emulator_factory(fixture), emulator_factory(fixture)

    def sync_json(emulator, *args: str) -> tuple[dict, str]:
        done = run("sync", "--endpoint", emulator.url, "--data-dir", str(tmp_path), "--json", *args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr

    first, _ = sync_json(first_emulator)
    assert first["mode"] == "full" and "no previous snapshot" in first["mode_reason"]
    again, _ = sync_json(first_emulator)
    assert again["mode"] == "incremental" and first["snapshot_id"] in again["mode_reason"]
    moved, log = sync_json(second_emulator)
    assert moved["mode"] == "full" and "endpoint changed" in moved["mode_reason"]
    assert first_emulator.url.split("//")[-1] in moved["mode_reason"] and moved["source"] in moved["mode_reason"]
    assert f"full sync: {moved['mode_reason']}" in log
    fewer, log = sync_json(second_emulator, "--project", str(fixture["projects"][0]["ProjectId"]))
    assert fewer["mode"] == "full" and "workspaces changed" in fewer["mode_reason"] and "full sync: " in log
    asked, _ = sync_json(second_emulator, "--full")
    assert asked["mode"] == "full" and asked["mode_reason"] == "--full was asked for"


def test_sigkill_mid_sync_leaves_the_previous_snapshot_live(workspace_factory, emulator_factory, tmp_path):
    fixture = workspace_factory(400, seed=4, days=2)
    emulator = emulator_factory(fixture)
    assert run("sync", "--endpoint", emulator.url, "--data-dir", str(tmp_path)).returncode == 0
    live = SnapshotStore(tmp_path).require_current()
    full_counts = table_counts(live.path)

    emulator.set_faults(latency_ms=40)  # slow enough to be caught in the middle
    proc = opsguard("sync", "--full", "--endpoint", emulator.url, "--data-dir", str(tmp_path))
    deadline = time.monotonic() + 60
    for line in proc.stderr:  # log lines, as stderr is not a terminal
        if "dependencies:" in line or time.monotonic() > deadline:
            break
    partial = lambda: [p for p in SnapshotStore(tmp_path).dir.glob("*.partial*")  # noqa: E731
                       if p.name.endswith(".partial")]
    while not partial():
        assert time.monotonic() < deadline and proc.poll() is None, "the sync should be writing its partial file"
        time.sleep(0.02)
    left = list(SnapshotStore(tmp_path).dir.glob("*.partial*"))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    store = SnapshotStore(tmp_path)
    assert store.require_current() == live
    assert table_counts(live.path) == full_counts
    assert all(p.exists() for p in left)  # what the killed sync left behind ...
    emulator.set_faults(latency_ms=0)
    assert run("sync", "--endpoint", emulator.url, "--data-dir", str(tmp_path)).returncode == 0
    assert store.require_current() != live
    assert not list(store.dir.glob("*.partial*"))  # ... the next sync removed, its .wal and lock included
