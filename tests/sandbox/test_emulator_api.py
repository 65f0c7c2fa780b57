"""sandbox.emulator answers the real SDK over HTTP; every field parses into the SDK models."""

from __future__ import annotations

import json
import threading
from datetime import date
import time
import urllib.request

import pytest
from alibabacloud_dataworks_public20200518 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException

from sandbox.emulator import Emulator
from sandbox.workspace_schedule import midnight_ms

PROD = "PROD"


def _all_nodes(client, project_id: int, **filters) -> tuple[int, list]:
    nodes, page, total = [], 1, None
    while total is None or len(nodes) < total:
        body = client.list_nodes(m.ListNodesRequest(project_id=project_id, project_env=PROD, page_number=page,
                                                    page_size=100, **filters)).body
        assert body.success and body.data.page_number == page
        total = body.data.total_count
        nodes += body.data.nodes
        page += 1
        if not body.data.nodes:
            break
    return total, nodes


def test_list_projects_pages_through_all_workspaces(emulator, sdk, small_workspace):
    client = sdk(emulator)
    first = client.list_projects(m.ListProjectsRequest(page_number=1, page_size=2)).body.page_result
    second = client.list_projects(m.ListProjectsRequest(page_number=2, page_size=2)).body.page_result
    assert first.total_count == len(small_workspace["projects"]) == 3
    got = [(p.project_id, p.project_name, p.project_identifier) for p in first.project_list + second.project_list]
    assert got == [(p["ProjectId"], p["ProjectName"], p["ProjectIdentifier"]) for p in small_workspace["projects"]]
    assert first.project_list[0].project_status_code == "AVAILABLE"


def test_list_nodes_pages_give_every_node_of_the_project_with_its_fields(emulator, sdk, small_workspace):
    client = sdk(emulator)
    expected = [n for n in small_workspace["nodes"] if n["ProjectId"] == 215001]
    total, nodes = _all_nodes(client, 215001)
    assert total == len(nodes) == len(expected)
    for got, want in zip(nodes, expected):
        assert (got.node_id, got.node_name, got.project_id, got.cron_express, got.scheduler_type,
                got.program_type, got.owner_id, got.priority, got.baseline_id, got.repeatability,
                got.res_group_name, got.res_group_identifier, got.create_time, got.modify_time) == (
            want["NodeId"], want["NodeName"], want["ProjectId"], want["CronExpress"], want["SchedulerType"],
            want["ProgramType"], want["OwnerId"], want["Priority"], want["BaselineId"], want["Repeatability"],
            want["ResGroupName"], want["ResGroupIdentifier"], want["CreateTime"], want["ModifyTime"])


def test_list_nodes_filters_by_scheduler_type_program_type_owner_and_name(emulator, sdk, small_workspace):
    client = sdk(emulator)
    nodes = [n for n in small_workspace["nodes"] if n["ProjectId"] == 215001]
    total, got = _all_nodes(client, 215001, scheduler_type="NORMAL", program_type="ODPS_SQL")
    assert total == sum(n["SchedulerType"] == "NORMAL" and n["ProgramType"] == "ODPS_SQL" for n in nodes)
    assert {n.program_type for n in got} == {"ODPS_SQL"}
    total, got = _all_nodes(client, 215001, owner="203100000000042")
    assert total >= 1 and {n.owner_id for n in got} == {"203100000000042"}
    total, got = _all_nodes(client, 215001, node_name="trade_order")
    assert 700000000101 in {n.node_id for n in got} and all("trade_order" in n.node_name for n in got)


def test_page_size_over_100_is_rejected_like_dataworks(emulator, sdk):
    with pytest.raises(ClientException) as info:
        sdk(emulator).list_nodes(m.ListNodesRequest(project_id=215001, project_env=PROD, page_size=101))
    assert (info.value.status_code, info.value.code) == (400, "InvalidParameter")


def test_unknown_project_and_node_are_404(emulator, sdk):
    client = sdk(emulator)
    with pytest.raises(ClientException) as info:
        client.list_nodes(m.ListNodesRequest(project_id=1, project_env=PROD))
    assert (info.value.status_code, info.value.code) == (404, "InvalidProjectId.NotFound")
    with pytest.raises(ClientException) as info:
        client.get_node_parents(m.GetNodeParentsRequest(node_id=1, project_env=PROD))
    assert info.value.code == "InvalidNodeId.NotFound"


def test_get_node_and_its_parents_and_children_across_projects(emulator, sdk, small_workspace):
    client = sdk(emulator)
    project = {n["NodeId"]: n["ProjectId"] for n in small_workspace["nodes"]}
    node = client.get_node(m.GetNodeRequest(node_id=700000000101, project_env=PROD)).body.data
    assert (node.node_name, node.baseline_id, node.priority) == ("ods_trade_order_di", 90001, 7)
    children = client.get_node_children(m.GetNodeChildrenRequest(node_id=700000000101, project_env=PROD)).body
    want = sorted(c for p, c in small_workspace["edges"] if p == 700000000101)
    assert [n.node_id for n in children.data.nodes] == want
    assert {n.project_id for n in children.data.nodes} == {project[c] for c in want}
    cross = next((p, c) for p, c in small_workspace["edges"] if project[p] != project[c])
    parents = client.get_node_parents(m.GetNodeParentsRequest(node_id=cross[1], project_env=PROD)).body.data.nodes
    assert cross[0] in [n.node_id for n in parents]
    parent = next(n for n in parents if n.node_id == cross[0])
    assert parent.project_id == project[cross[0]] != project[cross[1]]
    assert parent.cron_express and parent.scheduler_type and parent.node_name


def test_dev_environment_is_empty(emulator, sdk):
    body = sdk(emulator).list_nodes(m.ListNodesRequest(project_id=215001, project_env="DEV")).body
    assert body.data.total_count == 0


def test_list_instances_over_a_bizdate_range_pages_in_a_stable_order(emulator, sdk, small_workspace):
    client = sdk(emulator)
    project = {n["NodeId"]: n["ProjectId"] for n in small_workspace["nodes"]}
    want = [i for i in small_workspace["instances"]
            if project[i["NodeId"]] == 215001 and "2026-11-17" <= i["Bizdate"] <= "2026-11-18"]
    want.sort(key=lambda i: (i["Bizdate"], i["NodeId"], i["InstanceId"]))
    got, page = [], 1
    while True:
        body = client.list_instances(m.ListInstancesRequest(
            project_id=215001, project_env=PROD, begin_bizdate="2026-11-17 00:00:00",
            end_bizdate="2026-11-18 00:00:00", page_number=page, page_size=100)).body
        assert body.data.total_count == len(want)
        got += body.data.instances
        if len(body.data.instances) < 100:
            break
        page += 1
    assert [i.instance_id for i in got] == [i["InstanceId"] for i in want]
    first, src = got[0], want[0]
    assert first.bizdate == midnight_ms(date.fromisoformat(src["Bizdate"]))
    assert (first.node_id, first.status, first.begin_running_time, first.finish_time, first.cyc_time) == (
        src["NodeId"], src["Status"], src["BeginRunningTime"], src["FinishTime"], src["CycTime"])


def test_list_instances_by_bizdate_node_and_status(emulator, sdk, small_workspace):
    client = sdk(emulator)
    body = client.list_instances(m.ListInstancesRequest(project_id=215001, project_env=PROD, node_id=700000000101,
                                                        bizdate="2026-11-19 00:00:00", page_size=100)).body
    assert [i.node_id for i in body.data.instances] == [700000000101]
    failures = client.list_instances(m.ListInstancesRequest(project_id=215001, project_env=PROD, status="FAILURE",
                                                            begin_bizdate="2026-11-15 00:00:00",
                                                            end_bizdate="2026-11-19 00:00:00", page_size=100)).body
    assert failures.data.total_count > 0 and {i.status for i in failures.data.instances} == {"FAILURE"}
    with pytest.raises(ClientException) as info:
        client.list_instances(m.ListInstancesRequest(project_id=215001, project_env=PROD))
    assert info.value.code == "MissingParameter"


def test_baselines_their_nodes_and_project_options(emulator, sdk, small_workspace):
    client = sdk(emulator)
    want = [b for b in small_workspace["baselines"] if b["ProjectId"] == 215001]
    body = client.list_baselines(m.ListBaselinesRequest(project_id=215001, page_number=1, page_size=100)).body
    assert body.data.total_count == len(want)
    assert [(b.baseline_id, b.baseline_name, b.priority, b.owner) for b in body.data.baselines] == [
        (b["BaselineId"], b["BaselineName"], b["Priority"], b["Owner"]) for b in want]
    members = client.list_nodes_by_baseline(m.ListNodesByBaselineRequest(baseline_id=90001)).body.data
    assert sorted(n.node_id for n in members) == sorted(want[0]["NodeIds"])
    option = client.get_option_value_for_project(m.GetOptionValueForProjectRequest(
        project_id="215001", extension_code="opsguard")).body.option_value
    assert json.loads(option) == json.loads(small_workspace["options"]["215001"])


def test_project_members_page_through_the_sdk_and_name_every_owner(emulator, sdk, small_workspace):
    client = sdk(emulator)
    first = client.list_project_members(m.ListProjectMembersRequest(project_id=215001)).body.data
    assert first.page_size == 10 and len(first.project_member_list) == 10     # the documented default size
    listed = []
    for page in range(1, 4):
        data = client.list_project_members(m.ListProjectMembersRequest(project_id=215001, page_number=page,
                                                                       page_size=5)).body.data
        listed += data.project_member_list
    assert first.total_count == len(small_workspace["members"]["215001"]) and len(listed) == min(15, first.total_count)
    every = client.list_project_members(m.ListProjectMembersRequest(project_id=215001, page_size=100)).body.data
    ids = {p.project_member_id for p in every.project_member_list}
    owners = {n["OwnerId"] for n in small_workspace["nodes"] if n["ProjectId"] == 215001}
    assert owners <= ids                                  # a node's OwnerId is a member's ProjectMemberId
    sample = next(p for p in every.project_member_list if p.project_member_id == "203100000000042")
    assert (sample.project_member_name, sample.nick, sample.status, sample.project_member_type) == \
        ("Li Na", "lina", "0", "5")
    assert all(p.project_member_name or p.nick for p in every.project_member_list)
    assert all(p.project_role_list and p.project_role_list[0].project_role_code for p in every.project_member_list)
    with pytest.raises(ClientException) as info:
        client.list_project_members(m.ListProjectMembersRequest(project_id=215001, page_size=101))
    assert info.value.code == "InvalidParameter"
    with pytest.raises(ClientException) as info:
        client.list_project_members(m.ListProjectMembersRequest(project_id=1))
    assert info.value.code == "InvalidProjectId.NotFound"


def test_a_forbidden_action_answers_403_and_others_still_work(small_workspace, sdk):
    with Emulator(small_workspace, access_key_id="test-ak", access_key_secret="test-secret",
                  forbidden_actions=["ListProjectMembers"]) as emu:
        client = sdk(emu)
        with pytest.raises(ClientException) as info:
            client.list_project_members(m.ListProjectMembersRequest(project_id=215001))
        assert (info.value.status_code, info.value.code) == (403, "Forbidden.Access")
        assert client.list_nodes(m.ListNodesRequest(project_id=215001, project_env=PROD)).status_code == 200


def test_update_workbench_event_result_is_recorded_in_arrival_order(emulator, sdk):
    client = sdk(emulator)
    for message_id, result in (("m-1", "OK"), ("m-2", "FAIL")):
        body = client.update_workbench_event_result(m.UpdateWorkbenchEventResultRequest(
            message_id=message_id, extension_code="opsguard", check_result=result,
            check_result_tip="WARN: 3 nodes blocked + more & more")).body
        assert body.success is True and body.request_id
    assert [(r["MessageId"], r["CheckResult"]) for r in emulator.results] == [("m-1", "OK"), ("m-2", "FAIL")]
    assert emulator.results[0]["CheckResultTip"] == "WARN: 3 nodes blocked + more & more"
    with urllib.request.urlopen(f"{emulator.url}/_emulator/results") as response:
        assert [r["MessageId"] for r in json.loads(response.read())] == ["m-1", "m-2"]


def test_check_result_must_be_ok_or_fail(emulator, sdk):
    with pytest.raises(ClientException) as info:
        sdk(emulator).update_workbench_event_result(m.UpdateWorkbenchEventResultRequest(
            message_id="m", extension_code="x", check_result="WARN"))
    assert info.value.code == "InvalidParameter"
    assert emulator.results == []


@pytest.mark.parametrize("action,version,status,code", [
    ("NoSuchAction", "2020-05-18", 404, "InvalidAction.NotFound"),
    ("ListProjects", "2024-05-18", 400, "InvalidVersion"),
])
def test_unknown_action_or_version_is_refused(emulator, sdk, action, version, status, code):
    from alibabacloud_tea_openapi.utils_models import OpenApiRequest, Params
    from darabonba.runtime import RuntimeOptions

    params = Params(action=action, version=version, protocol="HTTP", pathname="/", method="POST",
                    auth_type="AK", style="RPC", req_body_type="formData", body_type="json")
    with pytest.raises(ClientException) as info:
        sdk(emulator).call_api(params, OpenApiRequest(body={}), RuntimeOptions())
    assert (info.value.status_code, info.value.code) == (status, code)
    assert emulator.stats()["client_errors"] == 1 and emulator.stats()["served"] == 0


def test_allowed_projects_forbid_the_others(small_workspace, sdk):
    with Emulator(small_workspace, allowed_projects=[215001]) as emu:
        client = sdk(emu)
        listed = client.list_projects(m.ListProjectsRequest(page_size=100)).body.page_result.project_list
        assert [p.project_id for p in listed] == [215001]
        other = small_workspace["projects"][1]["ProjectId"]
        with pytest.raises(ClientException) as info:
            client.list_nodes(m.ListNodesRequest(project_id=other, project_env=PROD))
        assert (info.value.status_code, info.value.code) == (403, "Forbidden.Access")


def test_runtime_mutations_are_served(small_workspace, sdk):
    with Emulator(small_workspace) as emu:
        client = sdk(emu)
        emu.update_node({"NodeId": 700000000206, "SchedulerType": "PAUSE"})
        node = client.get_node(m.GetNodeRequest(node_id=700000000206, project_env=PROD)).body.data
        assert node.scheduler_type == "PAUSE"
        emu.update_node({"NodeId": 5, "NodeName": "new_node", "ProjectId": 215001, "SchedulerType": "NORMAL"})
        emu.add_edge(700000000206, 5)
        kids = client.get_node_children(m.GetNodeChildrenRequest(node_id=700000000206, project_env=PROD)).body
        assert 5 in [n.node_id for n in kids.data.nodes]
        emu.remove_node(700000000205)
        with pytest.raises(ClientException):
            client.get_node(m.GetNodeRequest(node_id=700000000205, project_env=PROD))
        kids = client.get_node_children(m.GetNodeChildrenRequest(node_id=700000000101, project_env=PROD)).body
        assert 700000000205 not in [n.node_id for n in kids.data.nodes]
    # the fixture itself is untouched
    assert next(n for n in small_workspace["nodes"] if n["NodeId"] == 700000000206)["SchedulerType"] == "NORMAL"


def test_stats_count_requests_per_action(emulator, sdk):
    client = sdk(emulator)
    for _ in range(3):
        client.get_node(m.GetNodeRequest(node_id=700000000101, project_env=PROD))
    client.list_projects(m.ListProjectsRequest())
    stats = emulator.stats()
    assert stats["by_action"] == {"GetNode": 3, "ListProjects": 1}
    assert (stats["requests"], stats["served"], stats["throttled"], stats["errors"]) == (4, 4, 0, 0)


def test_sdk_from_8_threads_gets_hundreds_of_calls_per_second(emulator, sdk):
    clients = [sdk(emulator) for _ in range(8)]
    calls, stop = [0] * 8, time.perf_counter() + 1.0

    def work(k: int) -> None:
        while time.perf_counter() < stop:
            clients[k].get_node_parents(m.GetNodeParentsRequest(node_id=700000000206, project_env=PROD))
            calls[k] += 1

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # client and server share one GIL here; the subprocess figure (>= 500/s) is in the CLI test
    assert sum(calls) >= 150


@pytest.mark.parametrize("request_of,last_page", [
    (lambda page: m.ListNodesRequest(project_id=215001, project_env=PROD, page_number=page, page_size=1), 100),
    (lambda page: m.ListInstancesRequest(project_id=215001, project_env=PROD, bizdate="2026-11-19 00:00:00",
                                         page_number=page, page_size=1), 100),
    (lambda page: m.ListBaselinesRequest(project_id=215001, page_number=page, page_size=1), 30),
    (lambda page: m.ListProjectsRequest(page_number=page, page_size=1), 100),
    (lambda page: m.ListProjectMembersRequest(project_id=215001, page_number=page, page_size=1), 30),
])
def test_pages_past_the_documented_limit_are_refused(emulator, sdk, request_of, last_page):
    client = sdk(emulator)
    call = {"ListNodesRequest": client.list_nodes, "ListInstancesRequest": client.list_instances,
            "ListBaselinesRequest": client.list_baselines, "ListProjectsRequest": client.list_projects,
            "ListProjectMembersRequest": client.list_project_members}
    request = request_of(last_page)
    send = call[type(request).__name__]
    assert send(request).status_code == 200  # the last documented page is served (empty or not)
    with pytest.raises(ClientException) as info:
        send(request_of(last_page + 1))
    assert (info.value.status_code, info.value.code) == (400, "Invalid.Parameter.PageNumber")
    assert "narrow the query" in info.value.message
    assert emulator.stats()["page_limit"] == 1


def test_page_limits_are_configurable(small_workspace, sdk):
    with Emulator(small_workspace, access_key_id="test-ak", access_key_secret="test-secret",
                  page_limits={"ListNodes": 2}) as emu:
        client = sdk(emu)
        with pytest.raises(ClientException, match="Invalid.Parameter.PageNumber"):
            client.list_nodes(m.ListNodesRequest(project_id=215001, project_env=PROD, page_number=3, page_size=10))
        assert client.list_baselines(m.ListBaselinesRequest(project_id=215001, page_number=31)).status_code == 200
    with Emulator(small_workspace, access_key_id="test-ak", access_key_secret="test-secret", page_limits=False) as emu:
        body = sdk(emu).list_nodes(m.ListNodesRequest(project_id=215001, project_env=PROD, page_number=101,
                                                      page_size=1)).body
        assert body.data.page_number == 101 and body.data.nodes == []


def test_forbidden_projects_are_listed_but_unreadable(small_workspace, sdk):
    other = small_workspace["projects"][1]["ProjectId"]
    node = next(n["NodeId"] for n in small_workspace["nodes"] if n["ProjectId"] == other)
    with Emulator(small_workspace, access_key_id="test-ak", access_key_secret="test-secret",
                  forbidden_projects=[other]) as emu:
        client = sdk(emu)
        listed = client.list_projects(m.ListProjectsRequest(page_size=100)).body.page_result.project_list
        assert other in [p.project_id for p in listed]  # the tenant's workspace, listed
        for call in (lambda: client.list_nodes(m.ListNodesRequest(project_id=other, project_env=PROD)),
                     lambda: client.get_node(m.GetNodeRequest(node_id=node, project_env=PROD)),
                     lambda: client.get_node_children(m.GetNodeChildrenRequest(node_id=node, project_env=PROD))):
            with pytest.raises(ClientException) as info:
                call()
            assert (info.value.status_code, info.value.code) == (403, "Forbidden.Access")
        assert emu.stats()["forbidden"] == 3


def test_list_instances_filters_by_the_nodes_program_type_and_owner(emulator, sdk, small_workspace):
    node = next(n for n in small_workspace["nodes"] if n["ProjectId"] == 215001 and n["SchedulerType"] == "NORMAL")
    by_id = {n["NodeId"]: n for n in small_workspace["nodes"]}
    expected = {i["InstanceId"] for i in small_workspace["instances"] if i["Bizdate"] == "2026-11-19"
                and by_id[i["NodeId"]]["ProjectId"] == 215001 and by_id[i["NodeId"]]["OwnerId"] == node["OwnerId"]
                and by_id[i["NodeId"]]["ProgramType"] == node["ProgramType"]}
    body = sdk(emulator).list_instances(m.ListInstancesRequest(
        project_id=215001, project_env=PROD, bizdate="2026-11-19 00:00:00", page_size=100,
        program_type=node["ProgramType"], owner=node["OwnerId"])).body
    assert expected and body.data.total_count == len(expected)
    assert {i.instance_id for i in body.data.instances} == expected
