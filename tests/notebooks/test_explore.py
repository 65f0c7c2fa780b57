"""`lineage.open_snapshot` and `Snapshot`: which snapshot opens, tables as DataFrames, bound SQL, the graph."""

from __future__ import annotations

import duckdb
import networkx as nx
import pandas as pd
import pytest

import lineage
from lineage.errors import SnapshotError, UnknownNodeError

from tests.notebooks.helpers import publish, small_fixture


@pytest.fixture
def snap(small_home):
    with lineage.open_snapshot(small_home) as s:
        yield s


def test_open_snapshot_opens_the_live_one_by_default_and_a_named_one_on_request(tmp_path):
    older = publish(tmp_path, small_fixture(names_suffix="_v1"))
    newer = publish(tmp_path, small_fixture(names_suffix="_v2"))
    with lineage.open_snapshot(tmp_path) as live, lineage.open_snapshot(tmp_path, older) as named:
        assert (live.id, named.id) == (newer, older)
        assert live.node(1).node_name == "ods_order_v2" and named.node(1).node_name == "ods_order_v1"
        assert named.find("ods_order")["node_name"].tolist() == ["ods_order_v1"]


def test_open_snapshot_reads_opsguard_home_like_the_cli(small_home, monkeypatch, tmp_path):
    monkeypatch.setenv("OPSGUARD_HOME", str(small_home))
    monkeypatch.chdir(tmp_path)
    with lineage.open_snapshot() as s:
        assert s.data_dir == small_home and s.node(3).node_name == "dws_order_1d"


def test_no_snapshot_is_a_clear_snapshot_error_telling_to_sync(tmp_path):
    with pytest.raises(SnapshotError, match="no metadata snapshot .* run `opsguard sync`"):
        lineage.open_snapshot(tmp_path)


def test_an_unknown_snapshot_name_is_a_snapshot_error_naming_it(small_home):
    with pytest.raises(SnapshotError, match="no snapshot named '20990101T000000Z'"):
        lineage.open_snapshot(small_home, "20990101T000000Z")


def test_sql_binds_positional_and_named_parameters(snap):
    assert snap.sql("SELECT node_name FROM nodes WHERE node_id = ?", [3])["node_name"].tolist() == ["dws_order_1d"]
    named = snap.sql("SELECT count(*) AS n FROM nodes WHERE project_id = $p AND owner_id = $o", {"p": 20, "o": "bob"})
    assert named["n"].tolist() == [1]


@pytest.mark.parametrize("hostile", ["x' OR '1'='1", "1 OR 1=1", "'; DROP TABLE nodes; --"])
def test_sql_parameters_are_values_never_query_text(snap, hostile):
    assert snap.sql("SELECT * FROM nodes WHERE node_name = $name", {"name": hostile}).empty
    assert snap.find(hostile).empty
    assert len(snap.nodes()) == 5


def test_the_snapshot_is_read_only(snap):
    with pytest.raises(duckdb.Error, match="read-only"):
        snap.sql("DELETE FROM nodes")
    assert len(snap.nodes()) == 5


def test_tables_come_back_as_dataframes(snap):
    nodes = snap.nodes()
    assert nodes["node_id"].tolist() == [1, 2, 3, 4, 5] and "idx" not in nodes
    assert nodes.set_index("node_id").loc[4, "project_name"] == "dw_user"       # MANUAL node 5 included
    assert sorted(map(tuple, snap.edges()[["parent_id", "child_id"]].values.tolist())) == [(1, 2), (2, 3), (2, 4),
                                                                                          (5, 3)]
    runs = snap.instances([1, 2])
    assert runs[["node_id", "status", "run_seconds"]].values.tolist() == [[1, "SUCCESS", 600.0]]
    assert snap.instances(2).empty and len(snap.instances()) == 1
    assert snap.projects()[["project_name", "node_count"]].values.tolist() == [["dw_trade", 4], ["dw_user", 1]]


def test_find_matches_part_of_a_name_ignoring_case_or_a_regex(snap):
    assert snap.find("ORDER")["node_id"].tolist() == [2, 3, 1]                  # sorted by name
    assert snap.find(r"^d\w+_1d$", regex=True)["node_name"].tolist() == ["dws_order_1d"]


def test_upstream_and_downstream_give_depth_and_via(snap):
    up = snap.upstream(3)
    assert up[["node_id", "depth", "via", "via_name"]].values.tolist() == [[2, 1, 3, "dws_order_1d"],
                                                                         [1, 2, 2, "dwd_order"]]  # MANUAL 5 left out
    down = snap.downstream(1)
    assert down[["node_id", "depth", "via", "workspace", "scheduler_type"]].values.tolist() == [
        [2, 1, 1, "dw_trade", "NORMAL"], [3, 2, 2, "dw_trade", "NORMAL"], [4, 2, 2, "dw_user", "PAUSE"]]


def test_impact_frame_has_the_descendants_and_the_summary(snap):
    result = snap.impact([1])
    assert result.summary["downstream_count"] == 3 and result.summary["cross_project_count"] == 1
    assert result.summary["paused_count"] == 1 and result.summary["baseline_ids"] == [77]
    assert result.impact.owners == ("ann", "bob")
    row = result.descendants.set_index("node_id").loc[3]
    assert (row["node_name"], row["priority"], row["owner_id"]) == ("dws_order_1d", 8, "ann")
    assert "descendants" not in result.summary and "3 descendants" in repr(result)
    assert "<table" in result._repr_html_()


def test_unknown_node_ids_raise_naming_them(snap):
    for call in (lambda: snap.impact([1, 99]), lambda: snap.upstream(98), lambda: snap.node(97),
                 lambda: snap.backfill(1, "2026-11-01", "2026-11-01", include=[1, 96])):
        with pytest.raises(UnknownNodeError) as caught:
            call()
        assert caught.value.node_ids[0] in (99, 98, 97, 96)


def test_cross_workspace_lists_the_dependencies_between_workspaces(snap):
    cross = snap.cross_workspace()
    assert cross[["parent_id", "child_id", "parent_project", "child_project"]].values.tolist() == [
        [2, 4, "dw_trade", "dw_user"]]


def test_networkx_is_the_cycle_dag_without_manual_nodes(snap):
    dg = snap.networkx()
    assert isinstance(dg, nx.DiGraph) and sorted(dg.edges) == [(1, 2), (2, 3), (2, 4)]
    assert 5 not in dg and dg.nodes[3]["priority"] == 8


def test_hubs_are_the_nodes_with_most_descendants_as_networkx_counts_them(demo_home):
    with lineage.open_snapshot(demo_home) as s:
        hubs = s.hubs(5)
        dg = s.networkx()
        expected = sorted((len(nx.descendants(dg, n)) for n in dg), reverse=True)[:5]
        assert hubs["descendants"].tolist() == expected and hubs.attrs["exhaustive"]
        assert all(len(nx.descendants(dg, n)) == d for n, d in zip(hubs["node_id"], hubs["descendants"]))
        assert hubs["children"].tolist() == [dg.out_degree(n) for n in hubs["node_id"]]


def test_a_closed_snapshot_reopens_its_connection_on_demand(small_home):
    s = lineage.open_snapshot(small_home)
    s.close()
    assert len(s.nodes()) == 5
    s.close()


def test_a_node_is_found_by_name_as_well_as_by_id(snap):
    assert snap.node("dws_order_1d") == snap.node(3) == snap.node("3")
    assert snap.node("tmp_manual_fix").scheduler_type == "MANUAL"          # MANUAL nodes have names too
    assert snap.resolve(["ods_order", 4]) == [1, 4]
    assert snap.upstream("dws_order_1d")["node_id"].tolist() == [2, 1]
    assert snap.impact(["ods_order"]).summary == snap.impact([1]).summary


def test_a_name_several_nodes_share_is_refused_listing_every_candidate(tmp_path):
    fixture = small_fixture()
    fixture["nodes"][3]["NodeName"] = "dwd_order"                          # node 4 (dw_user, bob) too
    publish(tmp_path, fixture)
    with lineage.open_snapshot(tmp_path) as s:
        with pytest.raises(lineage.AmbiguousNodeError) as caught:
            s.node("dwd_order")
    assert caught.value.candidates == ((2, "dw_trade", "ann"), (4, "dw_user", "bob"))
    assert "2 nodes are named 'dwd_order'" in str(caught.value) and "pass the node id" in str(caught.value)


def test_an_unknown_name_says_so_with_the_names_that_contain_it(snap):
    with pytest.raises(lineage.UnknownNodeNameError, match="no node named 'order'.*dwd_order, ods_order, dws_order_1d"):
        snap.node("order")                                                  # the closest (shortest) first
    with pytest.raises(lineage.UnknownNodeNameError, match="close names: dwd_order"):
        snap.node("dwd_ordr")                                               # a typo: the names spelled close
    with pytest.raises(UnknownNodeError):                                   # the parent type still catches it
        snap.downstream("no_such_node")


def test_explain_gives_the_path_the_cli_prints(snap, small_home):
    import json

    from typer.testing import CliRunner

    import opsguard.cli  # noqa: F401
    from opsguard.cli.app import app

    path = snap.explain("ods_order", "ads_user_report")
    assert path[["depth", "node_id", "node_name", "workspace"]].values.tolist() == [
        [0, 1, "ods_order", "dw_trade"], [1, 2, "dwd_order", "dw_trade"], [2, 4, "ads_user_report", "dw_user"]]
    assert path.attrs["path"] == "ods_order → dwd_order → ads_user_report"
    done = CliRunner().invoke(app, ["impact", "1", "--explain", "4", "--json", "--data-dir", str(small_home)])
    cli = json.loads(done.stdout)["path"]
    assert [{k: row[k] for k in ("depth", "node_id", "node_name", "project_id", "owner_id", "scheduler_type")}
            for row in cli] == path.drop(columns=["workspace", "owner"]).to_dict("records")
    assert [row["workspace_name"] for row in cli] == path["workspace"].tolist()
    assert [row["owner_name"] or row["owner_id"] for row in cli] == path["owner"].tolist()
    with pytest.raises(lineage.NotDownstreamError):
        snap.explain("dws_order_1d", "ods_order")


def test_run_history_times_are_datetimes_in_dataworks_local_time(snap, small_home):
    runs = snap.instances("ods_order")
    begin, finish = runs.loc[0, "begin_running_time"], runs.loc[0, "finish_time"]
    assert str(begin) == "2026-11-02 00:00:00+08:00" and (finish - begin).total_seconds() == 600
    assert runs.loc[0, "node_name"] == "ods_order"
    with lineage.open_snapshot(small_home, tz="+09:00") as tokyo:
        assert str(tokyo.instances(1).loc[0, "begin_running_time"]) == "2026-11-02 01:00:00+09:00"
    assert str(snap.nodes()["modify_time"].dtype).startswith("datetime64")


def test_networkx_can_keep_the_manual_nodes_flagged(snap):
    full = snap.networkx(include_manual=True)
    assert 5 in full and full.nodes[5]["manual"] is True and full.nodes[5]["node_name"] == "tmp_manual_fix"
    assert full.nodes[3]["manual"] is False and sorted(full.edges) == [(1, 2), (2, 3), (2, 4), (5, 3)]
    cycle = snap.networkx()
    assert 5 not in cycle and cycle.graph["manual_nodes_left_out"] == 1      # says what it left out


def test_next_runs_are_the_next_fire_times_in_local_time(snap):
    runs = snap.next_runs(["ods_order", "ads_user_report"], after="2026-11-20 00:05:00")    # daily 00:10, hourly
    assert [str(t) for t in runs["next_run"]] == ["2026-11-20 00:10:00+08:00", "2026-11-20 01:00:00+08:00"]
    assert [str(d.date()) for d in runs["bizdate"]] == ["2026-11-19", "2026-11-19"]
    assert runs["node_name"].tolist() == ["ods_order", "ads_user_report"]
    later = snap.next_runs("ods_order", after=pd.Timestamp("2026-11-20 00:10:01", tz="UTC"))   # 08:10 local
    assert str(later.loc[0, "next_run"]) == "2026-11-21 00:10:00+08:00"
