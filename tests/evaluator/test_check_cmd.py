"""`opsguard check`: offline verdicts against a live snapshot of the demo workspace; exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from opsguard.cli import app
from tests.evaluator.helpers import SAMPLE_NAMES, SAMPLES, documented_freeze
from lineage.snapshot_writer import write_fixture_snapshot
from lineage.snapshots import SnapshotStore

runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A data dir whose live snapshot is the generated demo workspace (3,000 nodes, seed 7)."""
    from sandbox.workspace import generate_workspace

    root = tmp_path_factory.mktemp("opsguard-home")
    store = SnapshotStore(root)
    partial = store.new_partial()
    write_fixture_snapshot(generate_workspace(3000, seed=7), partial)
    store.publish(partial)
    return root


def check(*args: str):
    return runner.invoke(app, ["check", *args])


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_every_sample_gets_a_json_verdict(data_dir, name):
    result = check(str(SAMPLES / f"{name}.json"), "--json", "--data-dir", str(data_dir))
    verdict = json.loads(result.stdout)
    assert result.exit_code == (1 if verdict["result"] == "FAIL" else 0), result.output
    assert verdict["event_code"] == name and verdict["project_id"] == 215001
    assert verdict["message_id"] == json.loads((SAMPLES / f"{name}.json").read_text())["id"]
    assert len(verdict["tip"]) <= 300 and verdict["checkpoints"]
    assert not any("could not be evaluated" in c["message"] for c in verdict["checkpoints"]), verdict


def test_freeze_of_the_hub_fails_and_names_the_blast_radius(data_dir):
    result = check(str(SAMPLES / "freeze-node.json"), "--json", "--data-dir", str(data_dir))
    verdict = json.loads(result.stdout)
    assert result.exit_code == 1 and verdict["result"] == "FAIL" and verdict["wire_result"] == "FAIL"
    assert verdict["impact"]["downstream_count"] > 200 and 90001 in verdict["impact"]["baseline_ids"]
    assert verdict["tip"].startswith("FAIL: freezing ods_trade_order_di blocks")


def test_backfill_sample_counts_the_excluded_node_as_dry_run(data_dir):
    verdict = json.loads(check(str(SAMPLES / "backfill-data.json"), "--json", "--data-dir", str(data_dir)).stdout)
    assert verdict["backfill"]["node_count"] == 3 and verdict["backfill"]["dry_run_node_count"] == 1
    assert verdict["backfill"]["bizdate_count"] == 34


def test_human_output_shows_result_tip_and_checkpoints(data_dir):
    result = check(str(SAMPLES / "undeploy-node.json"), "--data-dir", str(data_dir))
    assert result.exit_code == 1
    assert result.stdout.startswith("FAIL  undeploy-node")
    assert "downstream-orphaned" in result.stdout and "snapshot-freshness" in result.stdout


def test_a_policy_file_changes_the_verdict(data_dir, tmp_path):
    policy = tmp_path / "lenient.toml"
    policy.write_text('exempt_operators = ["203100000000042"]\n', encoding="utf-8")
    result = check(str(SAMPLES / "freeze-node.json"), "--json", "--policy", str(policy), "--data-dir", str(data_dir))
    assert result.exit_code == 0 and json.loads(result.stdout)["result"] == "OK"


@pytest.mark.parametrize("content, reason", [
    ("{not json", "not a DataWorks event message: message is not valid JSON"),
    ('{"eventCode": "freeze-node", "projectId": 1}', "data.nodeIds: required field is missing"),
    ("[]", "must be a JSON object"),
])
def test_bad_event_files_exit_2_with_one_line(data_dir, tmp_path, content, reason):
    path = tmp_path / "event.json"
    path.write_text(content, encoding="utf-8")
    result = check(str(path), "--data-dir", str(data_dir))
    assert result.exit_code == 2 and reason in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("opsguard: error: ")


def test_missing_event_file_bad_policy_and_no_snapshot_exit_2(data_dir, tmp_path):
    sample = str(SAMPLES / "freeze-node.json")
    missing = check(str(tmp_path / "nope.json"), "--data-dir", str(data_dir))
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[backfill-volume]\nwran = 1\n", encoding="utf-8")
    policy = check(sample, "--policy", str(bad), "--data-dir", str(data_dir))
    assert policy.exit_code == 2 and f"bad policy: {bad}:2: backfill-volume.wran" in policy.stderr
    empty = check(sample, "--data-dir", str(tmp_path / "empty"))
    assert empty.exit_code == 2 and "run `opsguard sync` first" in empty.stderr


def test_event_from_stdin(data_dir):
    result = runner.invoke(app, ["check", "-", "--json", "--data-dir", str(data_dir)],
                           input=(SAMPLES / "unfreeze-node.json").read_text())
    assert result.exit_code == 0 and json.loads(result.stdout)["event_code"] == "unfreeze-node"


def test_the_real_command_runs_without_the_dataworks_sdk(data_dir):
    code = ("import sys, runpy; sys.argv = ['opsguard', 'check', sys.argv[1], '--json', '--data-dir', sys.argv[2]];\n"
            "try:\n    from opsguard.cli import main; main()\n"
            "except SystemExit as e:\n"
            "    assert not any(m.startswith('alibabacloud_dataworks') for m in sys.modules), 'SDK imported'\n"
            "    raise")
    result = subprocess.run([sys.executable, "-c", code, str(SAMPLES / "unfreeze-node.json"), str(data_dir)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["event_code"] == "unfreeze-node"


@pytest.mark.parametrize("name", ["freeze-node", "backfill-data"])
def test_preview_and_enforcement_share_one_code_path(data_dir, name):
    """`opsguard check --json` equals `evaluate()` on the same snapshot, figure for figure."""
    from datetime import UTC, datetime

    from evaluator.evaluate import evaluate
    from evaluator.events import parse_event
    from lineage.graph import LineageGraph

    cli = json.loads(check(str(SAMPLES / f"{name}.json"), "--json", "--data-dir", str(data_dir)).stdout)
    ref = SnapshotStore(data_dir).require_current()
    direct = evaluate(parse_event((SAMPLES / f"{name}.json").read_bytes()), LineageGraph.from_snapshot(ref.path),
                      now=datetime.now(UTC)).to_json()
    for doc in (cli, direct):
        doc.pop("latency_ms"), doc["snapshot"].pop("age_seconds")
        doc["checkpoints"] = [c for c in doc["checkpoints"] if c["name"] != "snapshot-freshness"]
    assert cli == direct


# -- events that name their id and code but cannot be read (issue 19.4), or cannot be answered at all

def test_check_answers_an_identifiable_but_unreadable_event_with_the_on_error_verdict(tmp_path, data_dir):
    path = tmp_path / "event.json"
    path.write_text(json.dumps(documented_freeze(nodeIds=None)))
    result = check(str(path), "--json", "--data-dir", str(data_dir))
    verdict = json.loads(result.stdout)
    assert result.exit_code == 1 and verdict["result"] == "FAIL" and verdict["event_code"] == "freeze-node"
    assert "data.nodeIds: required field is missing" in verdict["tip"]


@pytest.mark.parametrize("body, reason", [
    ('{"data": {"eventCode": "freeze-node", "projectId": 1, "nodeIds": [1]}}', "no envelope `id`"),
    ('{"id": "%s", "specversion": "1.0", "data": {}}' % ("x" * 300), "id: 300 characters"),
    ('{"eventCode": "freeze-node", "projectId": 1, "nodeIds": [%s]}' % ("1" * 5000), "5,000-digit number"),
])
def test_check_refuses_an_unanswerable_file_with_exit_2_and_one_line(tmp_path, data_dir, body, reason):
    path = tmp_path / "event.json"
    path.write_text(body)
    result = check(str(path), "--data-dir", str(data_dir))
    assert result.exit_code == 2 and reason in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
