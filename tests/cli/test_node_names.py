"""Nodes by name on the command line and owners, baselines and workspaces shown by name, against a workspace
synced through the real SDK from the emulator into a real DuckDB snapshot. One node name is given to a node of a
second workspace too, so the name is ambiguous there."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from pathlib import Path
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

import opsguard.cli  # noqa: F401  (registers the commands)
from lineage.client import DataWorksClient
from lineage.config import DataWorksSettings
from lineage.snapshots import SnapshotStore
from lineage.sync import SyncRequest, run_sync
from opsguard.cli.app import app
from tests.conftest import TEST_KEY

END = date(2026, 11, 20)
ROOT, DETAIL, SUMMARY = 700000000101, 700000000205, 700000000206
SHARED = "dws_trade_order_1d"       # the summary node's name, given to a node of another workspace too


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    from sandbox.emulator import Emulator
    from sandbox.workspace import generate_workspace

    fixture = copy.deepcopy(generate_workspace(600, seed=7, days=3, end_bizdate=END))
    twin = next(n for n in fixture["nodes"] if n["ProjectId"] != 215001 and n["NodeId"] > SUMMARY)
    twin["NodeName"] = SHARED
    home = tmp_path_factory.mktemp("names-home")
    with Emulator(fixture, access_key_id=TEST_KEY.id, access_key_secret=TEST_KEY.secret) as emu:
        settings = DataWorksSettings(endpoint=emu.url, rate_limit=1000.0, concurrency=8, max_attempts=3)
        run_sync(DataWorksClient(settings, TEST_KEY), SnapshotStore(home),
                 SyncRequest(today=END + timedelta(days=1), history_days=3))
    members = {m["ProjectMemberId"]: m["ProjectMemberName"] or m["Nick"]
               for ms in fixture["members"].values() for m in ms}
    return {"home": str(home), "fixture": fixture, "twin": twin, "members": members}


def run(synced, *args, columns: int = 160):
    return CliRunner(env={"COLUMNS": str(columns)}).invoke(app, [*args, "--data-dir", synced["home"]])


def test_impact_by_name_equals_impact_by_id(synced):
    by_name = run(synced, "impact", "ods_trade_order_di", "--json")
    by_id = run(synced, "impact", str(ROOT), "--json")
    assert by_name.exit_code == 0, by_name.output
    assert json.loads(by_name.stdout) == json.loads(by_id.stdout)
    mixed = run(synced, "impact", f"ods_trade_order_di,{DETAIL}", "--max-depth", "1", "--json")
    assert json.loads(mixed.stdout)["nodes"] == [ROOT, DETAIL]


def test_an_ambiguous_name_lists_the_candidates_and_exits_2(synced):
    done = run(synced, "impact", SHARED)
    assert done.exit_code == 2 and len(done.stderr.strip().splitlines()) == 1
    owner = synced["members"][next(n["OwnerId"] for n in synced["fixture"]["nodes"] if n["NodeId"] == SUMMARY)]
    assert f"2 nodes are named '{SHARED}'" in done.stderr
    assert f"{SUMMARY} (workspace dw_trade, owner {owner} (" in done.stderr       # workspace and owner by name
    assert str(synced["twin"]["NodeId"]) in done.stderr and "pass the node id instead" in done.stderr
    for args in (("backfill", SHARED, "--from", "2026-11-01", "--to", "2026-11-01"),
                 ("backfill", "ods_trade_order_di", "--from", "2026-11-01", "--to", "2026-11-01", "--exclude", SHARED),
                 ("impact", "ods_trade_order_di", "--explain", SHARED)):
        again = run(synced, *args)
        assert again.exit_code == 2 and "are named" in again.stderr, args


def test_an_unknown_name_suggests_close_names_and_exits_2(synced):
    done = run(synced, "impact", "ods_trade_ordr_di")
    assert done.exit_code == 2
    assert "no node named 'ods_trade_ordr_di'" in done.stderr and "close names: ods_trade_order_di" in done.stderr
    assert run(synced, "backfill", "nope_nothing", "--from", "2026-11-01", "--to", "2026-11-01").exit_code == 2


def test_backfill_and_explain_take_names(synced):
    dates = ("--from", "2026-11-01", "--to", "2026-11-02")
    by_name = run(synced, "backfill", "ods_trade_order_di", *dates, "--include",
                  "ods_trade_order_di,dwd_trade_order_detail_di", "--exclude", "dwd_trade_order_detail_di", "--json")
    by_id = run(synced, "backfill", str(ROOT), *dates, "--include", f"{ROOT},{DETAIL}", "--exclude", str(DETAIL),
                "--json")
    assert by_name.exit_code == 0, by_name.output
    assert json.loads(by_name.stdout) == json.loads(by_id.stdout)
    path = json.loads(run(synced, "impact", "ods_trade_order_di", "--explain", str(SUMMARY), "--json").stdout)
    assert [row["node_id"] for row in path["path"]] == [ROOT, DETAIL, SUMMARY]
    assert path["path"][0]["owner_name"] == "Li Na" and path["path"][0]["workspace_name"] == "dw_trade"


def test_owner_and_baseline_names_in_the_table_the_json_and_the_tips(synced):
    out = json.loads(run(synced, "impact", "ods_trade_order_di", "--json").stdout)
    nodes = {n["NodeId"]: n for n in synced["fixture"]["nodes"]}
    for row in out["descendants"]:
        owner = nodes[row["node_id"]]["OwnerId"]
        assert row["owner_id"] == owner and row["owner_name"] == synced["members"][owner]
        assert row["node_name"] == nodes[row["node_id"]]["NodeName"] and row["workspace_name"].startswith("dw_")
    assert out["owner_names"] == {o: synced["members"][o] for o in out["owners"]}
    assert out["baseline_names"]["90001"] == "trade_sla_000"
    table = run(synced, "impact", "ods_trade_order_di").stdout
    first = out["descendants"][0]
    assert re.search(rf"{first['node_id']}\s+{first['node_name']}.*{first['owner_name']}", table)
    assert "trade_sla_000" in table and "90001" not in table
    sample = synced["fixture"]
    event = json.loads(open("evaluator/demo_samples/freeze-node.json").read())
    event["data"]["nodeIds"] = [ROOT]
    path = f"{synced['home']}/freeze.json"
    with open(path, "w") as f:
        json.dump(event, f)
    verdict = json.loads(run(synced, "check", path, "--json").stdout)
    cps = {cp["name"]: cp for cp in verdict["checkpoints"]}
    assert "trade_sla_000" in cps["baselines-downstream"]["message"] and "trade_sla_000" in verdict["tip"]
    assert cps["baselines-downstream"]["facts"]["baseline_names"]["90001"] == "trade_sla_000"
    owners = cps["other-owners-downstream"]["facts"]["owners"]
    first_owner = next(iter(owners))
    assert synced["members"][first_owner] in cps["other-owners-downstream"]["message"]
    assert first_owner not in cps["other-owners-downstream"]["message"]        # the id stays in the facts
    assert sample["projects"][1]["ProjectName"] in cps["cross-workspace-downstream"]["message"] or \
        sample["projects"][2]["ProjectName"] in cps["cross-workspace-downstream"]["message"]


@pytest.mark.parametrize("columns", [100, 160])
def test_tables_keep_every_id_and_name_on_one_line(synced, columns):
    out = json.loads(run(synced, "impact", "ods_trade_order_di", "--json").stdout)
    table = run(synced, "impact", "ods_trade_order_di", columns=columns).stdout
    lines = table.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= columns
    for row in out["descendants"][:20]:
        assert any(str(row["node_id"]) in line and row["node_name"] in line for line in lines), row
    backfill = run(synced, "backfill", "ods_trade_order_di", "--from", "2026-11-01", "--to", "2026-11-02",
                   columns=columns).stdout.splitlines()
    assert max(len(line.rstrip()) for line in backfill) <= columns
    rows = json.loads(run(synced, "backfill", "ods_trade_order_di", "--from", "2026-11-01", "--to", "2026-11-02",
                          "--json").stdout)["per_node"][:20]
    for row in rows:
        assert any(re.search(rf"\b{row['node_id']}\b", line) for line in backfill), row
    check = run(synced, "check", "evaluator/demo_samples/backfill-data.json", columns=columns).stdout.splitlines()
    assert max(len(line.rstrip()) for line in check) <= columns


def test_csv_of_impact_and_backfill_has_ids_and_names(synced):
    out = json.loads(run(synced, "impact", "ods_trade_order_di", "--json").stdout)
    rows = list(csv.DictReader(io.StringIO(run(synced, "impact", "ods_trade_order_di", "--csv").stdout)))
    assert [int(r["node_id"]) for r in rows] == [d["node_id"] for d in out["descendants"]]
    assert all(r["node_name"] and r["owner_id"] and r["owner_name"] and r["workspace_name"] for r in rows)
    assert rows[0]["via_name"] == "ods_trade_order_di"
    done = run(synced, "backfill", "ods_trade_order_di", "--from", "2026-11-01", "--to", "2026-11-01", "--csv")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert rows[0]["node_id"] == str(ROOT) and rows[0]["node_name"] == "ods_trade_order_di"
    assert rows[0]["owner_name"] == "Li Na" and rows[0]["workspace_name"] == "dw_trade"
    doc = json.loads(run(synced, "backfill", "ods_trade_order_di", "--from", "2026-11-01", "--to", "2026-11-01",
                         "--json").stdout)
    named = {r["node_id"]: r for r in rows}                  # --json has the names of --csv beside the ids
    assert [str(p["node_id"]) for p in doc["per_node"]] == [r["node_id"] for r in rows]
    for entry in doc["per_node"]:
        row = named[str(entry["node_id"])]
        assert (entry["node_name"], entry["owner_name"], entry["workspace_name"]) == \
            (row["node_name"], row["owner_name"], row["workspace_name"])
    for args in (("impact", "ods_trade_order_di"), ("backfill", "ods_trade_order_di", "--from", "2026-11-01",
                                                    "--to", "2026-11-01")):
        both = run(synced, *args, "--csv", "--json")
        assert both.exit_code == 2 and "--csv and --json" in both.stderr


def test_waive_and_audit_take_a_node_name(synced):
    done = run(synced, "waive", "--node", "ods_trade_order_di", "--reason", "ticket 42", "--hours", "1", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["node_id"] == ROOT
    assert run(synced, "waive", "--node", SHARED, "--reason", "x").exit_code == 2
    assert run(synced, "audit", "--node", "ods_trade_order_di", "--json").exit_code == 0
    assert run(synced, "audit", "--node", "ods_trade_ordr_di").exit_code == 2


def test_check_names_the_workspace_and_the_operator_beside_their_ids(synced):
    """`check` printed `workspace 215001` only; an operator is a person, read by name."""
    event = json.loads(Path("evaluator/demo_samples/freeze-node.json").read_text())
    operator, project = event["data"]["operator"], int(event["data"]["projectId"])
    head = run(synced, "check", "evaluator/demo_samples/freeze-node.json").stdout.splitlines()[0]
    workspace = next(p["ProjectName"] for p in synced["fixture"]["projects"] if p["ProjectId"] == project)
    assert f"workspace {workspace} ({project})" in head
    assert f"operator {synced['members'][operator]} ({operator})" in head
