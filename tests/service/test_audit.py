"""`opsguard audit` and `opsguard.audit` against a store filled by a real server: signed pushes judged,
stored and reported; then every filter — read from the store directly while the server still runs (on
SQLite and on PostgreSQL), with the same answers after it stopped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from opsguard.audit import AuditError, AuditFilter, audit_frame, summary_frame
from opsguard.cli import app
from opsguard.store import STATE_FILE
from tests.service.conftest import renamed, sample, wait_reported

runner = CliRunner()
ONCALL = "203100000000999"


@pytest.fixture
def judged(start_server, emulator, demo_workspace, state_url):
    """A running server that judged six decisions: freeze (FAIL) and DataWorks' Recheck of it (a new message,
    same extensionBizId), undeploy (FAIL), backfill (WARN), unfreeze, and a freeze of a leaf by another
    operator in another workspace."""
    server = start_server(state_url=state_url)
    parents = {p for p, _ in demo_workspace["edges"]}
    leaf = [n["NodeId"] for n in demo_workspace["nodes"] if n["NodeId"] not in parents][-1]  # no sample names it
    other = renamed(sample("freeze-node"), operator=ONCALL, nodeIds=[leaf], projectId=215046,
                    extensionBizId="ebz-leaf")
    events = [sample(c) for c in ("freeze-node", "undeploy-node", "backfill-data", "unfreeze-node")] + [other]
    for event in events:
        assert server.pusher.push(event).status_code == 202
    wait_reported(emulator, [e["id"] for e in events], server=server)
    recheck = renamed(sample("freeze-node"))                      # same extensionBizId, new message id
    assert server.pusher.push(recheck).status_code == 202
    wait_reported(emulator, [recheck["id"]], server=server)
    server.leaf, server.other, server.recheck = leaf, other, recheck
    return server


def audit(*args: str) -> dict:
    result = runner.invoke(app, ["audit", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def ids(doc: dict) -> list[str]:
    return [d["message_id"] for d in doc["decisions"]]


def where(data_dir, state_url) -> tuple[str, ...]:
    return ("--data-dir", str(data_dir), *(("--state-url", state_url) if state_url else ()))


def test_every_filter_selects_the_decisions_it_names_while_the_server_runs(judged, data_dir, state_url):
    freeze, undeploy, backfill = (sample(c)["id"] for c in ("freeze-node", "undeploy-node", "backfill-data"))
    d = where(data_dir, state_url)
    everything = audit(*d)                                           # the server is running: read directly
    assert everything["count"] == 6
    assert everything["source"] == (f"sqlite:{data_dir / STATE_FILE}" if not state_url else state_url)
    newest = everything["decisions"][0]
    assert newest["message_id"] == judged.recheck["id"] and newest["recheck_of"] == freeze
    times = [d["evaluated_at"] for d in everything["decisions"]]
    assert times == sorted(times, reverse=True)

    assert set(ids(audit(*d, "--result", "FAIL"))) == {freeze, judged.recheck["id"], undeploy}
    assert ids(audit(*d, "--result", "warn")) == [backfill]
    assert {x["event_code"] for x in audit(*d, "--event-code", "freeze-node")["decisions"]} == {"freeze-node"}
    assert ids(audit(*d, "--operator", ONCALL)) == [judged.other["id"]]
    assert ids(audit(*d, "--project", "215046")) == [judged.other["id"]]
    assert ids(audit(*d, "--node", str(judged.leaf))) == [judged.other["id"]]
    assert ids(audit(*d, "--node", "700000000206")) == [backfill]    # only in the backfill's exclude list
    assert freeze in ids(audit(*d, "--node", "700000000101"))         # nodeIds and rootNodeId alike
    flagged = audit(*d, "--check", "downstream-blocked")["decisions"]
    assert {x["event_code"] for x in flagged} == {"freeze-node"}
    for decision in flagged:                                          # checkpoints whole, messages included
        blocked = [c for c in decision["checkpoints"] if c["name"] == "downstream-blocked"]
        assert blocked[0]["status"] in ("WARN", "FAIL") and "blocks" in blocked[0]["message"]
    assert len(audit(*d, "--limit", "2")["decisions"]) == 2
    assert audit(*d, "--since", "1h")["count"] == 6 and audit(*d, "--until", "1h")["count"] == 0
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert audit(*d, "--since", tomorrow)["count"] == 0 and audit(*d, "--until", tomorrow)["count"] == 6
    assert audit(*d, "--result", "FAIL", "--event-code", "undeploy-node")["count"] == 1

    frame = audit_frame(data_dir, state_url=state_url, result="FAIL")     # the DataFrame API reads the same rows
    assert sorted(frame["message_id"]) == sorted(ids(audit(*d, "--result", "FAIL")))
    assert str(frame["evaluated_at"].dt.tz) == "UTC" and frame["checkpoints"].map(len).min() > 0

    running = {f: ids(audit(*d, *f)) for f in (("--event-code", "backfill-data"), ("--node", str(judged.leaf)),
                                               ("--limit", "3"))}
    summary_running = audit(*d, "--summary")["summary"]
    judged.stop()
    for f, rows in running.items():                                   # the same answers once it stopped
        assert ids(audit(*d, *f)) == rows, f
    assert audit(*d, "--summary")["summary"] == summary_running


@pytest.mark.parametrize("store_engine", ["sqlite"], indirect=True)
def test_summary_counts_results_and_checkpoints_per_day(judged, data_dir):
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


@pytest.mark.parametrize("store_engine", ["sqlite"], indirect=True)
def test_csv_and_table_output(judged, data_dir):
    csv_out = runner.invoke(app, ["audit", "--data-dir", str(data_dir), "--csv", "--result", "FAIL"])
    lines = csv_out.stdout.strip().splitlines()
    assert csv_out.exit_code == 0 and lines[0].startswith("message_id,evaluated_at") and len(lines) == 4
    assert "downstream-blocked=FAIL" in csv_out.stdout and ";" in csv_out.stdout
    table = runner.invoke(app, ["audit", "--data-dir", str(data_dir)], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "6 decision(s)" in table.stdout and "freeze-node" in table.stdout


@pytest.mark.parametrize("store_engine", ["sqlite"], indirect=True)
def test_the_table_names_workspaces_and_operators_and_never_splits_a_name(judged, data_dir):
    """It showed ids only, and split checkpoint names and node ids across lines at 100-160 columns."""
    from lineage.graph_load import load_directory
    from lineage.snapshots import SnapshotStore

    names = load_directory(SnapshotStore(data_dir).require_current().path)
    decisions = audit("--data-dir", str(data_dir))["decisions"]
    workspaces = {names.workspace(d["project_id"]) for d in decisions}
    operators = {names.owner(d["operator"]) for d in decisions}
    assert workspaces - {str(d["project_id"]) for d in decisions}, "the fixture's workspaces have names"
    assert operators - {d["operator"] for d in decisions}, "the fixture's operators have names"
    for columns in (100, 130, 160):
        table = runner.invoke(app, ["audit", "--data-dir", str(data_dir)], env={"COLUMNS": str(columns)})
        assert table.exit_code == 0, table.output
        lines = table.stdout.splitlines()
        assert max(map(len, lines)) <= columns
        header = next(line for line in lines if "decided (UTC)" in line)
        assert header.split()[-1] == "tip" and all(d["event_code"] in table.stdout for d in decisions)
        if columns >= 130:
            assert all(w in table.stdout for w in workspaces) and all(o in table.stdout for o in operators)
            assert not any(str(d["project_id"]) in table.stdout for d in decisions)   # names, not ids
        if columns >= 160:
            flagged = {c["name"] for d in decisions for c in d["checkpoints"] if c["status"] != "OK"}
            words = set(table.stdout.split())
            assert flagged <= words, flagged - words                                  # each on one line, whole


@pytest.mark.parametrize("store_engine", ["sqlite"], indirect=True)
def test_operator_by_name_selects_what_the_user_id_does(judged, data_dir):
    from lineage.graph_load import load_directory
    from lineage.snapshots import SnapshotStore

    d = ("--data-dir", str(data_dir))
    operator = audit(*d)["decisions"][-1]["operator"]
    name = load_directory(SnapshotStore(data_dir).require_current().path).owner_name(operator)
    assert name and name != operator
    by_id = audit(*d, "--operator", operator)
    assert by_id["count"] >= 1
    for typed in (name, name.upper()):
        by_name = audit(*d, "--operator", typed)
        assert ids(by_name) == ids(by_id) and by_name["filters"]["operator"] == operator


def test_bad_filters_and_a_missing_store_exit_2(tmp_path):
    for args, text in ((["--result", "MAYBE"], "--result"), (["--since", "last tuesday"], "--since"),
                       (["--json", "--csv"], "choose one")):
        result = runner.invoke(app, ["audit", "--data-dir", str(tmp_path), *args])
        assert result.exit_code == 2 and text in result.stderr, result.output
    missing = runner.invoke(app, ["audit", "--data-dir", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "no state store" in missing.stderr and "nowhere" in missing.stderr
    unreachable = runner.invoke(app, ["audit", "--state-url", "postgresql://nobody:secret-pw@127.0.0.1:1/x"])
    assert unreachable.exit_code == 2 and "secret-pw" not in unreachable.stderr + unreachable.stdout
    with pytest.raises(AuditError):
        AuditFilter.build(project="x")


@pytest.mark.parametrize("args, names", [
    (["--event-code", "freeze"], ["--event-code", "'freeze'", "freeze-node", "unfreeze-node", "undeploy-node",
                                  "backfill-data"]),
    (["--check", "nope"], ["--check", "'nope'", "downstream-blocked", "backfill-volume", "snapshot-freshness",
                           "evaluation", "waiver"]),
    (["--since", "1d", "--until", "2d"], ["--since", "--until", "not before"]),
    (["--since", "2026-11-20", "--until", "2026-11-20"], ["--since", "--until"]),
])
def test_filters_that_can_select_nothing_are_refused_naming_the_valid_values(tmp_path, args, names):
    """They used to return no decisions without a word (issue 23.3): a typo looked like a quiet day."""
    result = runner.invoke(app, ["audit", "--data-dir", str(tmp_path), *args])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert all(name in lines[0] for name in names), lines[0]


def test_event_code_and_check_filters_are_read_as_typed_in_any_case():
    f = AuditFilter.build(event_code="Freeze-Node", check="Downstream-Blocked")
    assert (f.event_code, f.check) == ("freeze-node", "downstream-blocked")
