"""Preview and enforcement share one code path: the notebook API answers exactly what
`opsguard impact --json` and `opsguard backfill --json` print for the same snapshot."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import opsguard.cli  # noqa: F401  (registers the commands)
import lineage
from opsguard.cli.app import app

ROOT = 700000000101          # ods_trade_order_di, the demo's hub ingestion node
DETAIL, SUMMARY = 700000000205, 700000000206


def cli_json(*args: str) -> dict:
    done = CliRunner().invoke(app, list(args))
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def as_printed(obj: dict) -> dict:
    """What `print_json` makes of a dict (dates as text)."""
    return json.loads(json.dumps(obj, default=str))


@pytest.fixture(scope="module")
def demo(demo_home):
    with lineage.open_snapshot(demo_home) as snap:
        yield snap


@pytest.mark.parametrize("node_ids, max_depth", [([ROOT], None), ([ROOT, DETAIL], 2), ([SUMMARY], None)])
def test_impact_equals_the_cli_json(demo, demo_home, node_ids, max_depth):
    args = ["impact", *map(str, node_ids), "--json", "--data-dir", str(demo_home)]
    if max_depth is not None:
        args += ["--max-depth", str(max_depth)]
    result = demo.impact(node_ids, max_depth=max_depth)
    assert as_printed(result.to_json()) == cli_json(*args)
    cli = cli_json(*args)["descendants"]
    assert result.descendants[["node_id", "depth", "via"]].to_dict("records") == \
        [{k: row[k] for k in ("node_id", "depth", "via")} for row in cli]
    assert result.descendants["node_name"].tolist() == [row["node_name"] for row in cli]
    assert result.descendants["owner"].tolist() == [row["owner_name"] or row["owner_id"] for row in cli]
    assert result.descendants["workspace"].tolist() == [row["workspace_name"] for row in cli]


OPTIONS = {
    "current node only": {"include": [ROOT]},
    "selected with a dry-run": {"include": [ROOT, DETAIL, SUMMARY], "exclude": [SUMMARY]},
    "all downstream": {},
    "all downstream plus": {"include": [DETAIL], "all_downstream": True},
    "by name, two periods, 4 groups": {"include": ["ods_trade_order_di", DETAIL], "parallel_groups": 4,
                                       "periods": ["2026-10-01:2026-10-03"]},
}


@pytest.mark.parametrize("option", list(OPTIONS))
def test_backfill_equals_the_cli_json_of_its_own_command(demo, demo_home, option):
    result = demo.backfill(ROOT, "2026-11-01", "2026-11-07", **OPTIONS[option])
    command = shlex.split(result.command(data_dir=str(demo_home)))
    assert command[:2] == ["opsguard", "backfill"]
    printed = cli_json(*command[1:], "--json")
    assert as_printed(result.to_json()) == printed
    assert result.summary == {k: printed[k] for k in result.summary}


def test_backfill_frames_add_up_to_the_summary(demo):
    result = demo.backfill(ROOT, "2026-11-01", "2026-11-07", include=[ROOT, DETAIL], exclude=[DETAIL])
    s, per_node = result.summary, result.per_node
    assert per_node["node_id"].tolist() == [ROOT, DETAIL] and per_node["dry_run"].tolist() == [False, True]
    assert per_node["run_instances"].sum() == s["run_instance_count"] == result.per_bizdate["run_instances"].sum()
    assert per_node["run_instances"].sum() + per_node["dry_run_instances"].sum() == s["instance_count"]
    assert per_node["hours"].sum() == pytest.approx(s["estimated_hours"], abs=1e-3)
    assert len(result.per_bizdate) == s["bizdate_count"] == 7
    assert len(result.stale) == s["downstream_not_included_count"] and SUMMARY in set(result.stale["node_id"])
    assert result.per_node["node_name"].iloc[0] == "ods_trade_order_di"


def test_an_empty_include_list_is_root_and_all_downstream_and_says_so(demo):
    result = demo.backfill(ROOT, "2026-11-01", "2026-11-01", include=[])
    assert result.summary["selection_mode"] == "all-downstream" and "no include list" in repr(result)
    assert result.summary["node_count"] == 1 + len(demo.downstream(ROOT))
    assert "--include" not in result.command()


def test_backfill_dates_are_checked(demo):
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        demo.backfill(ROOT, "11/01/2026", "2026-11-02")
    with pytest.raises(ValueError, match="begins after it ends"):
        demo.backfill(ROOT, "2026-11-03", "2026-11-02")


def test_the_printed_command_runs_as_a_process_and_agrees(demo, demo_home):
    """The command the backfill planner prints, run as a user would (`python -m evaluator` = `opsguard`)."""
    result = demo.backfill(ROOT, "2026-11-01", "2026-11-03", include=[ROOT, DETAIL])
    words = shlex.split(result.command(data_dir=str(demo_home)))
    done = subprocess.run([sys.executable, "-m", "opsguard", *words[1:], "--json"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == as_printed(result.to_json())


def sample_backfill_args() -> list[str]:
    """`opsguard backfill` arguments for the shared sample backfill-data.json (root 700000000101, two periods,
    4 parallel groups), read from the message itself."""
    from tests.evaluator.helpers import sample

    data = sample("backfill-data")["data"]
    periods = [f"{p['bizBeginTime']}:{p['bizEndTime']}" for p in json.loads(data["multipleTimePeriods"])]
    return [str(data["rootNodeId"]), *[w for p in periods for w in ("--period", p)],
            "--include", ",".join(map(str, data["includeNodeIds"])),
            "--exclude", ",".join(map(str, data["excludeNodeIds"])), "--parallel", str(data["parallelGroup"])]


def test_the_demo_sample_backfill_prints_serial_hours_and_the_wall_clock(demo_home):
    done = CliRunner(env={"COLUMNS": "220"}).invoke(app, ["backfill", *sample_backfill_args(), "--data-dir",
                                                         str(demo_home)])
    assert done.exit_code == 0, done.output
    assert "34 (2026-10-01 .. 2026-10-31, 2026-11-10 .. 2026-11-12)" in done.stdout
    assert "compute hours (serial sum)" in done.stdout and "wall clock (estimate)" in done.stdout
    assert "4 parallel groups of up to 9 bizdates" in done.stdout
    assert "ods_trade_order_di → dwd_trade_order_detail_di" in done.stdout      # the critical path, by name


def test_the_demo_sample_backfill_agrees_with_the_verdict_of_the_same_message(demo, demo_home):
    """Preview and enforcement: `opsguard backfill` with the message's periods and groups = the check's figures."""
    from evaluator.evaluate import evaluate
    from evaluator.events import parse_event
    from tests.evaluator.helpers import NOW, sample

    printed = cli_json("backfill", *sample_backfill_args(), "--json", "--data-dir", str(demo_home))
    verdict = evaluate(parse_event(sample("backfill-data")), demo.graph, now=NOW).to_json()["backfill"]
    keys = ("bizdate_count", "run_instance_count", "estimated_hours", "estimated_wall_clock_hours", "critical_path",
            "critical_path_hours", "wall_clock_coverage")
    assert {k: printed[k] for k in keys} == {k: verdict[k] for k in keys}
    assert printed["bizdate_count"] == 34 and printed["wall_clock_coverage"]["parallel_groups"] == 4
    assert 0 < printed["estimated_wall_clock_hours"] < printed["estimated_hours"]
