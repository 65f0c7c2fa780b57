"""sandbox.fixture and the workspace CLI: bad fixtures and bad arguments give one-line reasons."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest

from sandbox.fixture import WorkspaceFixtureError, load_workspace
from sandbox.workspace import generate_workspace

BASE = generate_workspace(60, seed=2, days=1)


def _write(tmp_path, data, name="ws.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_a_generated_fixture_round_trips_through_a_file(tmp_path):
    loaded = load_workspace(_write(tmp_path, BASE))
    assert loaded == json.loads(json.dumps(BASE))


def test_optional_sections_default_to_empty(tmp_path):
    minimal = {"projects": [{"ProjectId": 1}], "edges": [],
               "nodes": [{"NodeId": 10, "NodeName": "a", "ProjectId": 1, "SchedulerType": "NORMAL"}]}
    loaded = load_workspace(_write(tmp_path, minimal))
    assert (loaded["instances"], loaded["baselines"], loaded["options"]) == ([], [], {})


def _broken(mutate):
    data = copy.deepcopy(BASE)
    mutate(data)
    return data


CASES = [
    ("not json", "{nope", "not valid JSON"),
    ("not an object", "[1, 2]", "top level must be a JSON object"),
    ("missing nodes", _broken(lambda d: d.pop("nodes")), "missing key 'nodes'"),
    ("nodes not a list", _broken(lambda d: d.update(nodes={})), "'nodes' must be a list"),
    ("node without id", _broken(lambda d: d["nodes"][3].pop("NodeId")), "nodes[3]: missing key 'NodeId'"),
    ("string node id", _broken(lambda d: d["nodes"][0].update(NodeId="7")), "nodes[0].NodeId: wrong type string"),
    ("bool priority", _broken(lambda d: d["nodes"][1].update(Priority="high")), "nodes[1].Priority: wrong type"),
    ("duplicate node", _broken(lambda d: d["nodes"].append(dict(d["nodes"][0]))), "duplicate NodeId"),
    ("unknown project", _broken(lambda d: d["nodes"][2].update(ProjectId=1)), "unknown ProjectId 1"),
    ("edge to unknown", _broken(lambda d: d["edges"].append([700000000101, 42])), "names unknown node 42"),
    ("bad edge", _broken(lambda d: d["edges"].append([1])), "must be [parent_id, child_id]"),
    ("self edge", _broken(lambda d: d["edges"].append([700000000101, 700000000101])), "depends on itself"),
    ("instance of unknown", _broken(lambda d: d["instances"][0].update(NodeId=5)), "names unknown node 5"),
    ("bad bizdate", _broken(lambda d: d["instances"][0].update(Bizdate="20261119")), "must be YYYY-MM-DD"),
    ("baseline unknown", _broken(lambda d: d["baselines"][0]["NodeIds"].append(9)), "names unknown node 9"),
    ("option not a string", _broken(lambda d: d["options"].update({"215001": {}})), "must be a JSON string"),
]


@pytest.mark.parametrize("label,data,problem", CASES, ids=[c[0] for c in CASES])
def test_bad_fixtures_raise_one_line_errors_naming_file_and_problem(tmp_path, label, data, problem):
    path = _write(tmp_path, data)
    with pytest.raises(WorkspaceFixtureError) as info:
        load_workspace(path)
    message = str(info.value)
    assert message.startswith(str(path)) and problem in message and "\n" not in message


def test_a_missing_file_is_a_fixture_error(tmp_path):
    with pytest.raises(WorkspaceFixtureError, match="cannot read file"):
        load_workspace(tmp_path / "absent.json")


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sandbox.workspace", *args], capture_output=True, text=True,
                          timeout=60, cwd=cwd)


def test_cli_writes_a_loadable_fixture(tmp_path):
    out = tmp_path / "w.json"
    result = _cli("--nodes", "120", "--seed", "4", "--days", "2", "--end-bizdate", "2026-11-19", "--out", str(out))
    assert result.returncode == 0, result.stderr
    fx = load_workspace(out)
    assert len(fx["nodes"]) == 120
    assert {i["Bizdate"] for i in fx["instances"]} == {"2026-11-18", "2026-11-19"}


@pytest.mark.parametrize("args,reason", [
    (["--nodes", "10", "--out", "x.json"], "--nodes must be >= 50"),
    (["--nodes", "abc", "--out", "x.json"], "invalid int value"),
    (["--nodes", "100"], "required: --out"),
    (["--nodes", "100", "--out", "x.json", "--days", "-1"], "--days"),
    (["--nodes", "100", "--out", "x.json", "--end-bizdate", "2026/11/19"], "YYYY-MM-DD"),
    (["--nodes", "100", "--out", "no/such/dir/x.json"], "does not exist"),
])
def test_cli_bad_arguments_exit_2_with_one_line(tmp_path, args, reason):
    result = _cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert reason in result.stderr and len(result.stderr.strip().splitlines()) == 1
