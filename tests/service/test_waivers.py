"""Waivers end to end: a freeze FAILs; a policy owner grants a waiver with `opsguard waive`; DataWorks'
Recheck then passes with the waiver named in the tip, on the details page and in the audit; once it has
expired (or is revoked) the same operation FAILs again."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from evaluator.waivers import Waiver, WaiverError
from opsguard.cli import app
from tests.service.conftest import renamed, sample, wait_reported

runner = CliRunner()


def test_a_waiver_lets_a_recheck_pass_on_record_and_ends(start_server, emulator, data_dir):
    server = start_server()
    freeze = sample("freeze-node", fresh=True)
    server.pusher.push(freeze)
    (first,) = wait_reported(emulator, [freeze["id"]], server=server)[freeze["id"]]
    assert first["CheckResult"] == "FAIL"

    granted = runner.invoke(app, ["waive", "--node", "700000000101", "--hours", "2", "--by", "alice",
                                  "--reason", "planned migration CHG-1234", "--data-dir", str(data_dir), "--json"])
    assert granted.exit_code == 0, granted.output
    waiver = json.loads(granted.stdout)
    recheck = renamed(freeze)                                   # the Recheck button: same check process
    server.pusher.push(recheck)
    (second,) = wait_reported(emulator, [recheck["id"]], server=server)[recheck["id"]]
    assert second["CheckResult"] == "OK"
    assert second["CheckResultTip"].startswith("OK: waived by alice until ") and waiver["waiver_id"] in \
        second["CheckResultTip"] and "was FAIL" in second["CheckResultTip"]
    page = server.pusher.client.get(server.service.details_url(recheck["id"])).text
    assert "planned migration CHG-1234" in page and waiver["waiver_id"] in page
    audit = json.loads(runner.invoke(app, ["audit", "--data-dir", str(data_dir), "--json"]).stdout)
    waived = next(d for d in audit["decisions"] if d["message_id"] == recheck["id"])
    assert waived["result"] == "OK" and waived["checkpoints"][0]["name"] == "waiver"
    assert any(c["name"] == "downstream-blocked" and c["status"] == "FAIL" for c in waived["checkpoints"])
    listed = json.loads(runner.invoke(app, ["waive", "--list", "--data-dir", str(data_dir), "--json"]).stdout)
    assert [w["waiver_id"] for w in listed["waivers"] if w["in_force"]] == [waiver["waiver_id"]]

    revoked = runner.invoke(app, ["waive", "--revoke", waiver["waiver_id"], "--data-dir", str(data_dir)])
    assert revoked.exit_code == 0
    again = renamed(freeze)
    server.pusher.push(again)
    assert wait_reported(emulator, [again["id"]], server=server)[again["id"]][0]["CheckResult"] == "FAIL"


def test_an_expired_waiver_waives_nothing(start_server, emulator):
    server = start_server()
    now = datetime.now(UTC)
    server.service.store.grant_waiver(Waiver("w-old", "bob", "last week's incident", now - timedelta(hours=3),
                                             now - timedelta(hours=1), node_id=700000000101))
    freeze = sample("freeze-node", fresh=True)
    server.pusher.push(freeze)
    assert wait_reported(emulator, [freeze["id"]], server=server)[freeze["id"]][0]["CheckResult"] == "FAIL"


def test_a_waiver_needs_a_scope_a_reason_and_an_end_within_a_week(data_dir):
    for args, text in ((["--reason", "x"], "needs a scope"), (["--node", "1"], "--reason is required"),
                       (["--node", "1", "--reason", "x", "--hours", "200"], "at most 7 days")):
        result = runner.invoke(app, ["waive", *args, "--data-dir", str(data_dir)])
        assert result.exit_code == 2 and text in result.stderr, result.output
    with pytest.raises(WaiverError):
        Waiver("w", "", "why", datetime.now(UTC), datetime.now(UTC) + timedelta(hours=1), node_id=1)
