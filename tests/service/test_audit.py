"""`opsguard audit` and `evaluator.audit` against a state database filled by a real server: signed pushes
judged, stored and reported; then every filter, while the server holds the file (asked over HTTP) and
after it stopped (the file read directly), with the same answers both ways."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from evaluator.audit import AuditError, AuditFilter, StateBusyError, audit_frame, read_decisions, summary_frame
from evaluator.cli import app
from evaluator.state import STATE_FILE
from tests.service.conftest import REPO, renamed, sample, wait_reported

runner = CliRunner()
ONCALL = "203100000000999"


@pytest.fixture
def judged(start_server, emulator, demo_workspace):
    """A server that judged six decisions: freeze (FAIL) and its Recheck from DataWorks (a new message id,
    same extensionBizId), undeploy (FAIL), backfill (WARN), unfreeze, and a freeze of a leaf by another
    operator in another workspace."""
    server = start_server()
    parents = {p for p, _ in demo_workspace["edges"]}
    leaf = [n["NodeId"] for n in demo_workspace["nodes"] if n["NodeId"] not in parents][-1]  # no sample names it
    other = renamed(sample("freeze-node"), operator=ONCALL, nodeIds=[leaf], projectId=215046,
                    extensionBizId="ebz-leaf")
    events = [sample(c) for c in ("freeze-node", "undeploy-node", "backfill-data", "unfreeze-node")] + [other]
    for event in events:
        assert server.pusher.push(event).status_code == 202
    wait_reported(emulator, [e["id"] for e in events], server=server)
    recheck = renamed(sample("freeze-node"))
    assert server.pusher.push(recheck).status_code == 202
    wait_reported(emulator, [recheck["id"]], server=server)
    server.leaf, server.other, server.recheck = leaf, other, recheck
    return server


def audit(*args: str) -> dict:
    result = runner.invoke(app, ["audit", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def ids(doc: dict) -> list[tuple[str, int]]:
    return [(d["message_id"], d["generation"]) for d in doc["decisions"]]


def test_every_filter_selects_the_decisions_it_names(judged, data_dir, tmp_path):
    freeze, undeploy, backfill = (sample(c)["id"] for c in ("freeze-node", "undeploy-node", "backfill-data"))
    judged.stop()                                                   # the file, read directly
    d = ("--data-dir", str(data_dir))
    everything = audit(*d)
    assert everything["source"] == str(data_dir / STATE_FILE) and everything["count"] == 6
    assert ids(everything)[0] == (judged.recheck["id"], 1)          # newest first: the Recheck
    times = [d["evaluated_at"] for d in everything["decisions"]]
    assert times == sorted(times, reverse=True)

    assert set(ids(audit(*d, "--result", "FAIL"))) == {(freeze, 1), (judged.recheck["id"], 1), (undeploy, 1)}
    assert ids(audit(*d, "--result", "warn")) == [(backfill, 1)]
    assert {x["event_code"] for x in audit(*d, "--event-code", "freeze-node")["decisions"]} == {"freeze-node"}
    assert ids(audit(*d, "--operator", ONCALL)) == [(judged.other["id"], 1)]
    assert ids(audit(*d, "--project", "215046")) == [(judged.other["id"], 1)]
    assert ids(audit(*d, "--node", str(judged.leaf))) == [(judged.other["id"], 1)]
    assert ids(audit(*d, "--node", "700000000206")) == [(backfill, 1)]   # only in the backfill's exclude list
    assert (freeze, 1) in ids(audit(*d, "--node", "700000000101"))        # nodeIds and rootNodeId alike
    flagged = audit(*d, "--check", "downstream-blocked")["decisions"]
    assert {x["event_code"] for x in flagged} == {"freeze-node"}
    assert all("downstream-blocked=FAIL" in x["checkpoints"] or "downstream-blocked=WARN" in x["checkpoints"]
               for x in flagged)
    assert len(audit(*d, "--limit", "2")["decisions"]) == 2
    assert audit(*d, "--since", "1h")["count"] == 6 and audit(*d, "--until", "1h")["count"] == 0
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert audit(*d, "--since", tomorrow)["count"] == 0 and audit(*d, "--until", tomorrow)["count"] == 6
    assert audit(*d, "--result", "FAIL", "--event-code", "undeploy-node")["count"] == 1

    # the DataFrame API reads the same rows
    frame = audit_frame(data_dir, result="FAIL")
    assert sorted(zip(frame["message_id"], frame["generation"])) == sorted(ids(audit(*d, "--result", "FAIL")))
    assert str(frame["evaluated_at"].dt.tz) == "UTC" and frame["checkpoints"].map(len).min() > 0


def test_summary_counts_results_and_checkpoints_per_day(judged, data_dir):
    judged.stop()
    doc = audit("--data-dir", str(data_dir), "--summary")
    today = datetime.now(UTC).date().isoformat()
    counts = {(r["day"], r["check"], r["status"]): r["count"] for r in doc["summary"]}
    assert doc["decisions"] == 6
    assert sum(n for (day, check, _), n in counts.items() if check == "verdict") == 6
    assert counts[(today, "verdict", "FAIL")] == 3 and counts[(today, "verdict", "WARN")] == 1
    assert counts[(today, "downstream-blocked", "FAIL")] == 2     # the freeze and its Recheck
    frame = summary_frame(data_dir, event_code="backfill-data")
    assert set(frame["check"]) >= {"verdict", "backfill-volume", "backfill-frozen-nodes"}
    table = runner.invoke(app, ["audit", "--data-dir", str(data_dir), "--summary"])
    assert table.exit_code == 0 and "verdict" in table.stdout and "downstream-blocked" in table.stdout


def test_csv_and_table_output(judged, data_dir):
    judged.stop()
    csv_out = runner.invoke(app, ["audit", "--data-dir", str(data_dir), "--csv", "--result", "FAIL"])
    lines = csv_out.stdout.strip().splitlines()
    assert csv_out.exit_code == 0 and lines[0].startswith("message_id,generation,evaluated_at") and len(lines) == 4
    assert "downstream-blocked=FAIL" in csv_out.stdout and ";" in csv_out.stdout
    table = runner.invoke(app, ["audit", "--data-dir", str(data_dir)], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "6 decision(s)" in table.stdout and "freeze-node" in table.stdout


def test_while_the_server_holds_the_file_the_audit_asks_it(judged, data_dir, tmp_path):
    config = tmp_path / "opsguard.toml"
    config.write_text(f'[server]\npublic_url = "{judged.url}"\n', encoding="utf-8")
    via_config = audit("--data-dir", str(data_dir), "--config", str(config), "--result", "FAIL")
    assert via_config["source"] == judged.url
    via_url = audit("--url", judged.url, "--result", "FAIL")
    assert ids(via_config) == ids(via_url) and len(ids(via_url)) == 3
    running = {f: ids(audit("--url", judged.url, *f)) for f in (("--event-code", "backfill-data"),
                                                                 ("--node", str(judged.leaf)), ("--limit", "3"))}
    summary_running = audit("--url", judged.url, "--summary")["summary"]
    judged.stop()
    for f, rows in running.items():                                   # the same answers from the file
        assert ids(audit("--data-dir", str(data_dir), *f)) == rows, f
    assert audit("--data-dir", str(data_dir), "--summary")["summary"] == summary_running


def test_a_held_file_without_a_reachable_server_is_a_clear_error(judged, data_dir, tmp_path):
    with socket.socket() as s:                                        # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "opsguard.toml"
    config.write_text(f'[server]\nport = {port}\n', encoding="utf-8")
    result = runner.invoke(app, ["audit", "--data-dir", str(data_dir), "--config", str(config)])
    assert result.exit_code == 2
    assert "is held by" in result.stderr and "cannot ask the server" in result.stderr and "--url" in result.stderr


def test_another_process_holding_the_file_is_named_by_pid(tmp_path):
    path = tmp_path / STATE_FILE
    holder = subprocess.Popen([sys.executable, "-c", "import time\nfrom evaluator.state import StateStore\n"
                               f"s = StateStore({str(path)!r}); print('open', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(StateBusyError) as busy:
            read_decisions(tmp_path, AuditFilter())
        assert busy.value.pid == holder.pid and f"PID {holder.pid}" in str(busy.value)
    finally:
        holder.kill()
        holder.wait(10)
    time.sleep(0.1)
    assert read_decisions(tmp_path, AuditFilter())[0] == []           # readable (and empty) once released


def test_bad_filters_and_a_missing_database_exit_2(tmp_path):
    for args, text in ((["--result", "MAYBE"], "--result"), (["--since", "last tuesday"], "--since"),
                       (["--json", "--csv"], "choose one")):
        result = runner.invoke(app, ["audit", "--data-dir", str(tmp_path), *args])
        assert result.exit_code == 2 and text in result.stderr, result.output
    missing = runner.invoke(app, ["audit", "--data-dir", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "no state database" in missing.stderr
    with pytest.raises(AuditError):
        AuditFilter.build(project="x")
