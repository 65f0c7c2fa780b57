"""Why is a node impacted: `explain_path` on graphs where the path is obvious, against networkx on random
DAGs, and `opsguard impact NODE --explain TARGET` as a user runs it."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
from typer.testing import CliRunner

import opsguard.cli  # noqa: F401  (registers the commands)
from opsguard.cli.app import app
from lineage.errors import NotDownstreamError, UnknownNodeError
from lineage.explain import describe_path, explain_path
from lineage.graph import LineageGraph
from lineage.impact import compute_impact
from tests.lineage.test_cli import data_dir, run  # noqa: F401  (data_dir is a fixture)


def graph(edges: list[tuple[int, int]]) -> LineageGraph:
    ids = sorted({n for e in edges for n in e})
    return LineageGraph.from_records([{"node_id": n, "node_name": f"n{n}"} for n in ids], edges)


def test_a_chain_explains_as_the_chain_itself():
    g = graph([(i, i + 1) for i in range(1, 11)])
    assert explain_path(g, compute_impact(g, [1]), 11) == tuple(range(1, 12))
    assert explain_path(g, compute_impact(g, [4]), 6) == (4, 5, 6)


def test_a_diamond_takes_the_parent_it_was_first_reached_through():
    g = graph([(1, 2), (1, 3), (2, 4), (3, 4), (4, 5)])
    impact = compute_impact(g, [1])
    via = {r["node_id"]: r["via"] for r in impact.descendants(g)}
    path = explain_path(g, impact, 5)
    assert path == (1, via[4], 4, 5) and len(path) - 1 == 3


def test_several_changed_nodes_start_from_the_nearest_one():
    g = graph([(1, 2), (2, 3), (3, 4), (9, 4)])
    assert explain_path(g, compute_impact(g, [1, 9]), 4) == (9, 4)
    assert explain_path(g, compute_impact(g, [1, 9]), 9) == (9,)   # a changed node explains itself


def test_not_downstream_and_unknown_nodes_raise_the_project_errors():
    g = graph([(1, 2), (3, 4)])
    with pytest.raises(NotDownstreamError) as err:
        explain_path(g, compute_impact(g, [1]), 4)
    assert err.value.node_id == 4 and err.value.start == (1,)
    with pytest.raises(UnknownNodeError):
        explain_path(g, compute_impact(g, [1]), 99)


def test_a_depth_limited_impact_still_explains_a_deeper_descendant_and_only_those():
    """Issue 23.3: past --max-depth a descendant was reported "not downstream"; it is, only deeper."""
    g = graph([(1, 2), (2, 3), (3, 4), (5, 6)])
    limited = compute_impact(g, [1], max_depth=1)
    assert explain_path(g, limited, 4) == (1, 2, 3, 4) and explain_path(g, limited, 2) == (1, 2)
    with pytest.raises(NotDownstreamError):                          # a depth limit never makes a path up
        explain_path(g, limited, 6)


def test_a_bare_reach_explains_down_to_its_start():
    g = graph([(1, 2), (2, 3)])
    assert explain_path(g, g.descendants([1]), 3) == (1, 2, 3)


@pytest.mark.parametrize("seed", range(5))
def test_paths_are_real_shortest_paths_on_random_dags(seed):
    rng = np.random.default_rng(seed)
    n = 300
    edges = sorted({(int(a), int(b)) for a, b in rng.integers(0, n, size=(900, 2)) if a < b})
    g = graph(edges)
    dag = nx.DiGraph(edges)
    starts = [int(s) for s in rng.choice(sorted(dag.nodes), 3, replace=False)]
    impact = compute_impact(g, starts)
    lengths = nx.multi_source_dijkstra_path_length(dag, set(starts))
    for row in impact.descendants(g):
        path = explain_path(g, impact, row["node_id"])
        assert path[0] in starts and path[-1] == row["node_id"]
        assert all(dag.has_edge(a, b) for a, b in zip(path, path[1:]))
        assert len(path) - 1 == row["depth"] == lengths[row["node_id"]]
        assert path[-2] == row["via"]


def test_describe_path_names_each_hop():
    g = graph([(1, 2), (2, 3)])
    rows = describe_path(g, (1, 2, 3))
    assert [(r["node_id"], r["node_name"], r["depth"]) for r in rows] == [(1, "n1", 0), (2, "n2", 1), (3, "n3", 2)]


# -- opsguard impact --explain (on test_cli's snapshot: 1 → 2 → 3 → 4, 2 → 5 frozen) --------------------------
def test_explain_json_is_the_path_with_names(data_dir):
    done = run("impact", "1", "--explain", "4", "--json", "--data-dir", str(data_dir))
    assert done.exit_code == 0, done.output
    out = json.loads(done.stdout)
    assert out["nodes"] == [1] and out["target"] == 4 and out["depth"] == 3
    assert [(p["node_id"], p["node_name"], p["depth"]) for p in out["path"]] == [
        (1, "n1", 0), (2, "n2", 1), (3, "n3", 2), (4, "n4", 3)]
    frozen = json.loads(run("impact", "1", "--explain", "5", "--json", "--data-dir", str(data_dir)).stdout)
    assert [p["node_id"] for p in frozen["path"]] == [1, 2, 5] and frozen["path"][-1]["scheduler_type"] == "PAUSE"


def test_explain_table_shows_the_chain(data_dir):
    done = CliRunner().invoke(app, ["impact", "1", "--explain", "4", "--data-dir", str(data_dir)],
                              env={"COLUMNS": "160"})
    assert done.exit_code == 0 and "n1 → n2 → n3 → n4" in done.stdout and "3 hop(s) from 1" in done.stdout


@pytest.mark.parametrize("args, text", [(["3", "--explain", "1"], "node 1 is not downstream of 3"),
                                        (["1", "--explain", "99"], "unknown node id"),
                                        (["1", "--explain", "x"], "no node named 'x'"),
                                        (["1", "--explain", "2,3"], "exactly one node id or name"),
                                        (["4", "--max-depth", "1", "--explain", "1"], "not downstream")])
def test_explain_exits_2_with_a_reason(data_dir, args, text):
    done = run("impact", *args, "--data-dir", str(data_dir))
    assert done.exit_code == 2 and text in done.stderr, done.output


def test_explain_past_max_depth_gives_the_path_and_says_it_is_deeper(data_dir):
    """It said "node 4 is not downstream of 1" (exit 2) when 4 was 3 hops down and --max-depth was 2."""
    done = run("impact", "1", "--max-depth", "2", "--explain", "4", "--json", "--data-dir", str(data_dir))
    assert done.exit_code == 0, done.output
    out = json.loads(done.stdout)
    assert [p["node_id"] for p in out["path"]] == [1, 2, 3, 4] and out["depth"] == 3
    assert out["max_depth_limit"] == 2 and out["beyond_max_depth"] is True
    within = json.loads(run("impact", "1", "--max-depth", "2", "--explain", "3", "--json",
                            "--data-dir", str(data_dir)).stdout)
    assert within["beyond_max_depth"] is False and within["depth"] == 2
    table = CliRunner().invoke(app, ["impact", "1", "--max-depth", "2", "--explain", "4", "--data-dir", str(data_dir)],
                               env={"COLUMNS": "160"})
    assert table.exit_code == 0 and "n1 → n2 → n3 → n4" in table.stdout
    assert "3 hops down, deeper than --max-depth 2" in " ".join(table.stdout.split())
