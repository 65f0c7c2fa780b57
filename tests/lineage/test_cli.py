"""`opsguard impact` and `opsguard backfill` as a user runs them: JSON shapes, tables, exit 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import opsguard.cli  # noqa: F401  (registers the commands)
from opsguard.cli.app import app
from lineage.snapshot_writer import write_fixture_snapshot
from lineage.snapshots import SnapshotStore

DAILY = "00 10 00 * * ?"


def fixture_dict() -> dict:
    """1 → 2 → 3 → 4 in workspace 10, plus 2 → 5 in workspace 20; 5 is hourly and frozen."""
    def n(node_id, **kw):
        return {"NodeId": node_id, "NodeName": f"n{node_id}", "ProjectId": 10, "CronExpress": DAILY,
                "SchedulerType": "NORMAL", "ProgramType": "ODPS_SQL", "OwnerId": "ann", "Priority": 1, **kw}

    return {"projects": [{"ProjectId": 10, "ProjectName": "p10"}, {"ProjectId": 20, "ProjectName": "p20"}],
            "nodes": [n(1, BaselineId=77), n(2), n(3, Priority=8), n(4),
                      n(5, ProjectId=20, CronExpress="00 00 * * * ?", SchedulerType="PAUSE", OwnerId="bob")],
            "edges": [[1, 2], [2, 3], [3, 4], [2, 5]], "instances": [], "baselines": []}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("data")
    store = SnapshotStore(path)
    store.publish(write_fixture_snapshot(fixture_dict(), store.new_partial()))
    return path


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_impact_json_has_the_design_shape(data_dir):
    done = run("impact", "1", "--json", "--data-dir", str(data_dir))
    assert done.exit_code == 0, done.output
    out = json.loads(done.stdout)
    assert out["nodes"] == [1] and out["downstream_count"] == 4 and out["max_depth"] == 3
    assert [{k: d[k] for k in ("node_id", "depth", "via")} for d in out["descendants"]] == [
        {"node_id": 2, "depth": 1, "via": 1}, {"node_id": 3, "depth": 2, "via": 2},
        {"node_id": 5, "depth": 2, "via": 2}, {"node_id": 4, "depth": 3, "via": 3}]
    assert [(d["node_name"], d["workspace_name"], d["owner_id"]) for d in out["descendants"]][-2:] == [
        ("n5", "p20", "bob"), ("n4", "p10", "ann")]
    assert (out["cross_project_count"], out["high_priority_count"], out["paused_count"]) == (1, 1, 1)
    assert out["baseline_ids"] == [77] and out["owners"] == ["ann", "bob"]


def test_impact_accepts_several_ids_and_max_depth(data_dir):
    out = json.loads(run("impact", "2", "3,4", "--max-depth", "1", "--json", "--data-dir", str(data_dir)).stdout)
    assert out["nodes"] == [2, 3, 4] and [d["node_id"] for d in out["descendants"]] == [5]


def test_impact_table_names_the_node_and_counts(data_dir):
    done = run("impact", "1", "--data-dir", str(data_dir))
    assert done.exit_code == 0 and "n1" in done.stdout and "4 (3 live, 1 frozen, 0 dry-run)" in done.stdout


def test_backfill_json_is_the_backfill_object_plus_nodes(data_dir):
    done = run("backfill", "1", "--from", "2026-11-01", "--to", "2026-11-03", "--include", "1,2,3",
               "--exclude", "3", "--json", "--data-dir", str(data_dir))
    assert done.exit_code == 0, done.output
    out = json.loads(done.stdout)
    assert out["nodes"] == [1, 2, 3] and out["selection_mode"] == "explicit"
    assert (out["node_count"], out["dry_run_node_count"], out["bizdate_count"]) == (3, 1, 3)
    assert (out["run_instance_count"], out["instance_count"]) == (6, 9)
    assert out["estimated_hours"] == pytest.approx(6 * 600 / 3600)
    assert out["downstream_not_included_count"] == 2            # 4 and 5 keep stale data


def test_backfill_without_include_takes_root_and_all_downstream(data_dir):
    out = json.loads(run("backfill", "2", "--from", "2026-11-01", "--to", "2026-11-01", "--json",
                         "--data-dir", str(data_dir)).stdout)
    assert out["selection_mode"] == "all-downstream" and out["nodes"] == [2, 3, 4, 5]
    assert out["run_instance_count"] == 3 + 24                  # three daily nodes and the hourly one


def test_backfill_takes_several_periods_like_the_event_overlaps_counting_once(data_dir):
    out = json.loads(run("backfill", "1", "--period", "2026-11-01:2026-11-03", "--period", "2026-11-03:2026-11-04",
                         "--period", "2026-11-10", "--include", "1,2", "--json", "--data-dir", str(data_dir)).stdout)
    assert out["bizdate_count"] == 5 and out["run_instance_count"] == 10
    assert out["spans"] == [{"begin": "2026-11-01", "end": "2026-11-04"}, {"begin": "2026-11-10", "end": "2026-11-10"}]
    both = json.loads(run("backfill", "1", "--from", "2026-11-01", "--to", "2026-11-03", "--period", "2026-11-10",
                          "--include", "1,2", "--json", "--data-dir", str(data_dir)).stdout)
    assert both["bizdate_count"] == 4


def test_backfill_parallel_groups_change_the_wall_clock_only(data_dir):
    def backfill(*extra):
        return json.loads(run("backfill", "1", "--from", "2026-11-01", "--to", "2026-11-06", "--include", "1,2,3",
                              "--json", "--data-dir", str(data_dir), *extra).stdout)

    serial, parallel = backfill(), backfill("--parallel", "3")
    # no history: each node weighs the 600 s default; 1 → 2 → 3 is 30 min a bizdate
    assert serial["critical_path"] == [1, 2, 3] and serial["critical_path_hours"] == 0.5
    assert serial["estimated_wall_clock_hours"] == 3.0 and parallel["estimated_wall_clock_hours"] == 1.0
    assert serial["wall_clock_coverage"]["nodes_without_history"] == 3
    assert {k: v for k, v in serial.items() if "wall_clock" not in k} == \
        {k: v for k, v in parallel.items() if "wall_clock" not in k}


def test_backfill_reports_ids_outside_the_roots_downstream(data_dir):
    done = run("backfill", "3", "--from", "2026-11-01", "--to", "2026-11-01", "--include", "3,4,5",
               "--exclude", "1", "--data-dir", str(data_dir), "--json")
    out = json.loads(done.stdout)
    assert out["include_outside_downstream"] == [5] and out["exclude_outside_downstream"] == [1]
    table = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["backfill", "3", "--from", "2026-11-01", "--to",
                                                           "2026-11-01", "--include", "3,4,5", "--exclude", "1",
                                                           "--data-dir", str(data_dir)]).stdout
    assert "included, outside the root's downstream │ 1: 5 (n5)" in table
    assert "excluded, outside the root's downstream │ 1: 1 (n1)" in table


def test_backfill_table_says_it_is_an_estimate(data_dir):
    done = run("backfill", "1", "--from", "2026-11-01", "--to", "2026-11-02", "--data-dir", str(data_dir))
    assert done.exit_code == 0 and "estimate" in done.stdout and "root + all downstream" in done.stdout


@pytest.mark.parametrize("args, reason", [
    (("impact", "1", "999"), "unknown node id(s) in the snapshot: 999"),
    (("impact", "x1"), "no node named 'x1'"),
    (("impact", "n"), "names containing it: n1, n2"),
    (("backfill", "999", "--from", "2026-11-01", "--to", "2026-11-02"), "unknown node id(s) in the snapshot: 999"),
    (("backfill", "1", "--from", "2026-11-01", "--to", "2026-11-02", "--include", "1,998"), "998"),
    (("backfill", "1", "--from", "2026-11-01", "--to", "2026-11-02", "--exclude", "997"), "997"),
    (("backfill", "1", "--from", "2026-11-05", "--to", "2026-11-02"), "after --to"),
    (("backfill", "1", "--from", "2026/11/05", "--to", "2026-11-06"), "YYYY-MM-DD"),
    (("backfill", "1", "--from", "2026-11-01", "--to", "2026-02-30"), "not a valid date"),
    (("backfill", "1", "--from", "2026-11-01"), "--from and --to go together"),
    (("backfill", "1"), "give the bizdates"),
    (("backfill", "1", "--period", "2026-11-05:2026-11-02"), "2026-11-05 is after 2026-11-02"),
    (("backfill", "1", "--period", "2026-11-01..2026-11-02"), "YYYY-MM-DD"),
    (("backfill", "1", "--period", "2026-11-01:2026-11-02", "--parallel", "0"), "--parallel"),
])
def test_bad_input_exits_2_with_one_line(data_dir, args, reason):
    done = run(*args, "--data-dir", str(data_dir))
    assert done.exit_code == 2
    assert reason in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_no_snapshot_exits_2_telling_to_sync(tmp_path):
    done = run("impact", "1", "--data-dir", str(tmp_path))
    assert done.exit_code == 2 and "opsguard sync" in done.stderr


def test_cli_does_not_import_the_dataworks_sdk(data_dir):
    code = ("import sys; from opsguard.cli import app; "
            f"app(['impact', '1', '--json', '--data-dir', {str(data_dir)!r}], standalone_mode=False); "
            "sys.stderr.write(str(sorted(m for m in sys.modules if m.startswith('alibabacloud'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().endswith("[]")
