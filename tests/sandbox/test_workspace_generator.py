"""sandbox.workspace: the generated demo workspace is realistic, deterministic and holds the samples."""

from __future__ import annotations

import json
from collections import Counter, defaultdict, deque
from datetime import date, datetime, timedelta, timezone

import pytest

from sandbox.workspace import generate_workspace

END = date(2026, 11, 19)
CST = timezone(timedelta(hours=8))


# --- an independent, test-only reading of DataWorks cron (docs/dataworks.md) --------------------------

def _field(text: str, lo: int, hi: int) -> set[int]:
    if text in ("*", "?"):
        return set(range(lo, hi + 1))
    out: set[int] = set()
    for part in text.split(","):
        rng, _, step = part.partition("/")
        if rng == "*":
            a, b = lo, hi
        elif "-" in rng:
            a, b = map(int, rng.split("-"))
        else:
            a = int(rng)
            b = hi if step else a
        out.update(range(a, b + 1, int(step) if step else 1))
    return out


def fires_on(cron: str, run_date: date) -> int:
    """Number of fire times of a DataWorks cron on one run date (weekday 1 = Monday)."""
    sec, minute, hour, dom, month, dow = cron.split()[:6]
    if run_date.month not in _field(month, 1, 12):
        return 0
    if dom != "?" and run_date.day not in _field(dom, 1, 31):
        return 0
    if dow != "?" and run_date.isoweekday() not in _field(dow, 1, 7):
        return 0
    return len(_field(minute, 0, 59)) * len(_field(hour, 0, 23)) * len(_field(sec, 0, 59))


def test_test_cron_reader_agrees_with_the_reference_examples():
    monday = date(2026, 11, 16)
    assert fires_on("00 30 05 * * ?", monday) == 1
    assert fires_on("00 15 * * * ?", monday) == 24
    assert fires_on("00 00/10 * * * ?", monday) == 144
    assert fires_on("00 00-59/10 8-17 * * ?", monday) == 60
    assert fires_on("00 05 00 * * 2,5", monday) == 0
    assert fires_on("00 05 00 * * 2,5", monday + timedelta(days=1)) == 1
    assert fires_on("00 10 00 1 1-12/3 ?", date(2026, 10, 1)) == 1
    assert fires_on("00 10 00 1 1-12/3 ?", date(2026, 11, 1)) == 0


# --- helpers ---------------------------------------------------------------------------------

def _children(fx: dict) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for parent, child in fx["edges"]:
        out[parent].append(child)
    return out


def _descendants(children: dict[int, list[int]], start: int) -> set[int]:
    seen, todo = set(), deque([start])
    while todo:
        for child in children.get(todo.popleft(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def _longest_path_levels(fx: dict) -> int:
    """Number of nodes on the longest dependency chain; raises if the graph has a cycle."""
    indegree = Counter(child for _, child in fx["edges"])
    children = _children(fx)
    level = {n["NodeId"]: 1 for n in fx["nodes"]}
    queue = deque(n["NodeId"] for n in fx["nodes"] if indegree[n["NodeId"]] == 0)
    done = 0
    while queue:
        node = queue.popleft()
        done += 1
        for child in children.get(node, ()):
            level[child] = max(level[child], level[node] + 1)
            indegree[child] -= 1
            if indegree[child] == 0:
                queue.append(child)
    assert done == len(fx["nodes"]), "the dependency graph has a cycle"
    return max(level.values())


@pytest.fixture(scope="module")
def ws20k() -> dict:
    return generate_workspace(20_000, seed=1, days=0, end_bizdate=END)


@pytest.fixture(scope="module")
def ws3k() -> dict:
    return generate_workspace(3000, seed=7, days=3, end_bizdate=END)


# --- determinism and format -----------------------------------------------------------------

def test_same_seed_gives_the_same_workspace_and_another_seed_does_not():
    a = generate_workspace(400, seed=5, days=2, end_bizdate=END)
    b = generate_workspace(400, seed=5, days=2, end_bizdate=END)
    c = generate_workspace(400, seed=6, days=2, end_bizdate=END)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert a["edges"] != c["edges"]


def test_fixture_has_exactly_the_contract_sections_and_required_node_fields(ws3k):
    assert set(ws3k) == {"projects", "nodes", "edges", "instances", "baselines", "options", "members"}
    assert set(ws3k["projects"][0]) == {"ProjectId", "ProjectName", "ProjectIdentifier"}
    required = {"NodeId", "NodeName", "ProjectId", "CronExpress", "SchedulerType", "ProgramType", "OwnerId",
                "Priority", "BaselineId", "Repeatability", "ResGroupName"}
    assert all(required <= set(n) for n in ws3k["nodes"])
    inst = ws3k["instances"][0]
    assert {"InstanceId", "NodeId", "Bizdate", "Status", "BeginRunningTime", "FinishTime"} <= set(inst)
    assert {"BaselineId", "BaselineName", "Priority", "NodeIds"} <= set(ws3k["baselines"][0])
    assert json.loads(ws3k["options"]["215001"])["warn_as"] == "OK"


def test_ids_are_unique_sparse_bigints(ws20k):
    ids = [n["NodeId"] for n in ws20k["nodes"]]
    assert len(set(ids)) == len(ids)
    assert min(ids) >= 700000000000 and max(ids) - min(ids) > 10 * len(ids)
    names = [n["NodeName"] for n in ws20k["nodes"]]
    assert len(set(names)) == len(names)


def test_default_end_bizdate_is_yesterday_in_dataworks_time():
    fx = generate_workspace(60, seed=0, days=1)
    yesterday = (datetime.now(timezone(timedelta(hours=8))).date() - timedelta(days=1)).isoformat()
    assert {i["Bizdate"] for i in fx["instances"]} == {yesterday}


def test_fewer_than_50_nodes_is_refused():
    with pytest.raises(ValueError, match="50"):
        generate_workspace(49)


# --- the samples ----------------------------------------------------------------------------

@pytest.mark.parametrize("size", [50, 51, 137, 3000])
def test_sample_nodes_exist_with_their_relations_at_any_size(size):
    fx = generate_workspace(size, seed=size, days=1, end_bizdate=END)
    nodes = {n["NodeId"]: n for n in fx["nodes"]}
    assert 215001 in {p["ProjectId"] for p in fx["projects"]}
    ingest = nodes[700000000101]
    assert (ingest["NodeName"], ingest["CronExpress"], ingest["SchedulerType"], ingest["Priority"],
            ingest["BaselineId"], ingest["OwnerId"], ingest["ProgramType"], ingest["ProjectId"]) == (
        "ods_trade_order_di", "00 10 00 * * ?", "NORMAL", 7, 90001, "203100000000042", "ODPS_SQL", 215001)
    assert nodes[700000000102]["ProjectId"] == 215001
    below = _descendants(_children(fx), 700000000101)
    for node_id in (700000000205, 700000000206):
        assert node_id in below
        assert (nodes[node_id]["SchedulerType"], nodes[node_id]["ProjectId"]) == ("NORMAL", 215001)
    baseline = next(b for b in fx["baselines"] if b["BaselineId"] == 90001)
    assert 700000000101 in baseline["NodeIds"] and baseline["Priority"] == 7


def test_sample_ingestion_node_is_a_hub_owned_apart_from_most_of_its_descendants(ws20k):
    below = _descendants(_children(ws20k), 700000000101)
    assert len(below) >= 2000
    owners = Counter(n["OwnerId"] for n in ws20k["nodes"] if n["NodeId"] in below)
    assert owners["203100000000042"] < len(below) / 5
    projects = {n["ProjectId"] for n in ws20k["nodes"] if n["NodeId"] in below}
    assert len(projects) > 1


# --- graph shape ----------------------------------------------------------------------------

def test_graph_is_a_dag_with_20_to_40_layers_at_20k_nodes(ws20k):
    assert 20 <= _longest_path_levels(ws20k) - 1 <= 40


def test_fan_in_is_1_to_4_and_about_2_2_edges_per_node(ws20k):
    fan_in = Counter(child for _, child in ws20k["edges"])
    assert max(fan_in.values()) <= 4
    assert 1.9 <= len(ws20k["edges"]) / len(ws20k["nodes"]) <= 2.5
    assert len({tuple(e) for e in ws20k["edges"]}) == len(ws20k["edges"])


def test_a_few_hubs_have_thousands_of_descendants_and_typical_nodes_far_fewer(ws20k):
    children = _children(ws20k)
    sizes = sorted((len(_descendants(children, n)) for n in list(children)[::97]), reverse=True)
    out_degree = sorted(children, key=lambda n: len(children[n]), reverse=True)
    hubs = [n for n in out_degree[:12] if len(_descendants(children, n)) >= 1000]
    assert len(hubs) >= 3
    assert sizes[len(sizes) // 2] < 1000


def test_every_project_has_a_daily_root_that_most_of_it_hangs_from(ws20k):
    children = _children(ws20k)
    by_project = Counter(n["ProjectId"] for n in ws20k["nodes"])
    roots = [n for n in ws20k["nodes"] if n["NodeName"].endswith("_root")]
    assert len(roots) == len(ws20k["projects"]) >= 3
    for root in roots:
        assert root["CronExpress"] == "00 00 00 * * ?"
        below = _descendants(children, root["NodeId"])
        own = sum(1 for n in ws20k["nodes"] if n["NodeId"] in below and n["ProjectId"] == root["ProjectId"])
        assert own >= 0.9 * by_project[root["ProjectId"]]


def test_edges_cross_projects_sometimes(ws20k):
    project = {n["NodeId"]: n["ProjectId"] for n in ws20k["nodes"]}
    cross = sum(project[p] != project[c] for p, c in ws20k["edges"])
    assert 0.01 < cross / len(ws20k["edges"]) < 0.2


def test_manual_nodes_have_no_or_few_edges_and_never_touch_the_cycle_dag(ws20k):
    manual = {n["NodeId"] for n in ws20k["nodes"] if n["SchedulerType"] == "MANUAL"}
    touching = [(p, c) for p, c in ws20k["edges"] if p in manual or c in manual]
    assert len(touching) < 0.3 * len(manual)
    assert all(p in manual and c in manual for p, c in touching)


# --- attribute mix --------------------------------------------------------------------------

def test_scheduler_priority_owner_and_program_mix_look_like_a_real_workspace(ws20k):
    n = len(ws20k["nodes"])
    sched = Counter(x["SchedulerType"] for x in ws20k["nodes"])
    assert 0.005 < sched["PAUSE"] / n < 0.02 and 0.005 < sched["SKIP"] / n < 0.02
    assert 0.01 < sched["MANUAL"] / n < 0.03
    prio = Counter(x["Priority"] for x in ws20k["nodes"])
    assert set(prio) <= {1, 3, 5, 7, 8}
    assert (prio[1] + prio[3]) / n > 0.75 and (prio[7] + prio[8]) / n < 0.1
    owners = {x["OwnerId"] for x in ws20k["nodes"]}
    assert 24 <= len(owners) <= 60 and all(o.isdigit() for o in owners)
    programs = Counter(x["ProgramType"] for x in ws20k["nodes"])
    assert {"ODPS_SQL", "DI", "SHELL", "PYODPS3", "EMR_HIVE"} <= set(programs)
    assert programs.most_common(1)[0][0] == "ODPS_SQL"
    prefixes = Counter(x["NodeName"].split("_")[0] for x in ws20k["nodes"])
    assert {"ods", "dwd", "dws", "ads"} <= set(prefixes)


def test_cron_mix_is_mostly_daily_in_dataworks_syntax(ws20k):
    monday = date(2026, 11, 16)
    kinds: Counter[str] = Counter()
    for node in ws20k["nodes"]:
        fields = node["CronExpress"].split()
        assert len(fields) == 6 and fields[0] == "00"  # leading seconds
        assert fields[5] == "?" or fields[3] == "*"  # one day field is unused
        per_week = [fires_on(node["CronExpress"], monday + timedelta(days=k)) for k in range(7)]
        if "/" in fields[1] and fields[2] == "*":
            kinds["every-n-min"] += 1
            assert int(fields[1].split("/")[1]) >= 10
        elif "/" in fields[1]:
            kinds["minute-window"] += 1
        elif per_week == [24] * 7:
            kinds["hourly"] += 1
        elif fields[5] != "?":
            kinds["weekly"] += 1
            assert set(int(d) for d in fields[5].split(",")) <= set(range(1, 8))
        elif fields[3] != "*":
            kinds["monthly"] += 1
        else:
            kinds["daily"] += 1
            assert per_week == [1] * 7
    n = len(ws20k["nodes"])
    assert 0.80 < kinds["daily"] / n < 0.90
    assert 0.01 < kinds["hourly"] / n < 0.03
    assert 0.002 < kinds["every-n-min"] / n < 0.01
    assert kinds["weekly"] and kinds["monthly"] and kinds["minute-window"]


def test_baselines_hold_a_handful_to_hundreds_of_nodes_in_one_project(ws20k):
    project = {n["NodeId"]: n["ProjectId"] for n in ws20k["nodes"]}
    baseline_of = {n["NodeId"]: n["BaselineId"] for n in ws20k["nodes"]}
    for b in ws20k["baselines"]:
        assert 1 <= len(b["NodeIds"]) <= 300
        assert {project[i] for i in b["NodeIds"]} == {b["ProjectId"]}
        assert all(baseline_of[i] == b["BaselineId"] for i in b["NodeIds"])
    assert max(len(b["NodeIds"]) for b in ws20k["baselines"]) >= 50


# --- run history ----------------------------------------------------------------------------

def test_instance_counts_per_node_and_bizdate_follow_the_cron():
    fx = generate_workspace(400, seed=11, days=10, end_bizdate=END)
    counts = Counter((i["NodeId"], i["Bizdate"]) for i in fx["instances"])
    bizdates = [END - timedelta(days=k) for k in range(10)]
    hourly_seen = 0
    for node in fx["nodes"]:
        for bizdate in bizdates:
            expected = 0 if node["SchedulerType"] == "MANUAL" else fires_on(node["CronExpress"], bizdate + timedelta(1))
            assert counts[(node["NodeId"], bizdate.isoformat())] == expected, (node, bizdate)
            hourly_seen += expected == 24
    assert hourly_seen > 0
    ids = [i["InstanceId"] for i in fx["instances"]]
    assert len(set(ids)) == len(ids)


def test_instances_run_on_the_run_date_with_plausible_times_and_statuses(ws3k):
    nodes = {n["NodeId"]: n for n in ws3k["nodes"]}
    statuses = Counter(i["Status"] for i in ws3k["instances"])
    assert statuses["SUCCESS"] / len(ws3k["instances"]) > 0.95 and statuses["FAILURE"] > 0
    durations = []
    for inst in ws3k["instances"]:
        begin = datetime.fromtimestamp(inst["BeginRunningTime"] / 1000, CST)
        assert begin.date() == date.fromisoformat(inst["Bizdate"]) + timedelta(days=1)
        assert inst["FinishTime"] >= inst["BeginRunningTime"]
        if nodes[inst["NodeId"]]["SchedulerType"] == "PAUSE":
            assert inst["Status"] == "FAILURE" and inst["FinishTime"] - inst["BeginRunningTime"] < 1000
        elif nodes[inst["NodeId"]]["SchedulerType"] == "NORMAL" and inst["Status"] == "SUCCESS":
            durations.append(inst["FinishTime"] - inst["BeginRunningTime"])
    durations.sort()
    assert 1_000 <= durations[len(durations) // 2] <= 600_000
    assert durations[-1] <= 3_600_000


def test_days_zero_gives_no_history_and_manual_nodes_never_run(ws3k):
    assert generate_workspace(100, seed=1, days=0, end_bizdate=END)["instances"] == []
    manual = {n["NodeId"] for n in ws3k["nodes"] if n["SchedulerType"] == "MANUAL"}
    assert manual and not any(i["NodeId"] in manual for i in ws3k["instances"])


def test_members_name_every_owner_once_with_one_name_across_workspaces(ws3k):
    names: dict[str, str] = {}
    for project in ws3k["projects"]:
        pid = project["ProjectId"]
        members = {m["ProjectMemberId"]: m for m in ws3k["members"][str(pid)]}
        owners = {n["OwnerId"] for n in ws3k["nodes"] if n["ProjectId"] == pid}
        owners |= {b["Owner"] for b in ws3k["baselines"] if b["ProjectId"] == pid}
        assert owners == set(members)
        for uid, m in members.items():
            shown = m["ProjectMemberName"] or m["Nick"]
            assert shown and names.setdefault(uid, shown) == shown
    assert len(set(names.values())) == len(names)          # two people never share a display name
