"""sandbox.faults through the emulator: throttling, injected errors, latency, scoped and runtime changes."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest
from alibabacloud_dataworks_public20200518 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException

from sandbox.emulator import Emulator
from sandbox.faults import FaultConfigError, FaultInjector, Faults

PROD = "PROD"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_of_qps_over_10_then_qps_per_second():
    clock = FakeClock()
    injector = FaultInjector(Faults(qps=50), clock=clock)
    burst = [injector.decide("ListNodes").throttled for _ in range(10)]
    assert burst == [False] * 5 + [True] * 5  # burst = 50 / 10
    clock.now += 1.0
    second = [injector.decide("ListNodes").throttled for _ in range(100)]
    assert second.count(False) == 5  # refilled to the burst cap, not to 50
    served = 0
    for _ in range(1000):  # steady arrivals every 10 ms: 100/s offered, 50/s served
        clock.now += 0.01
        served += not injector.decide("ListNodes").throttled
    assert 495 <= served <= 505


def test_faults_apply_only_to_their_actions_and_errors_follow_a_seeded_rng():
    a = FaultInjector(Faults(error_rate=0.3, actions=frozenset({"ListNodes"})), seed=4)
    b = FaultInjector(Faults(error_rate=0.3, actions=frozenset({"ListNodes"})), seed=4)
    runs_a = [a.decide("ListNodes").fail for _ in range(200)]
    assert runs_a == [b.decide("ListNodes").fail for _ in range(200)]
    assert 30 < sum(runs_a) < 90
    assert not any(a.decide("GetNode").fail for _ in range(50))


@pytest.mark.parametrize("bad", [{"qps": -1}, {"error_rate": 1.5}, {"latency_ms": -1}, {"actions": "GetNode"},
                                 {"retry_after_ms": 0}, {"burst": 3}])
def test_bad_fault_settings_are_refused(bad):
    with pytest.raises(FaultConfigError):
        Faults.from_json(bad)


def test_a_quota_used_up_throttles_every_call():
    spent = FaultInjector(Faults(qps=0))
    assert all(spent.decide("UpdateWorkbenchEventResult").throttled for _ in range(20))


def test_qps_limit_throttles_part_of_a_burst_with_429(small_workspace, sdk):
    with Emulator(small_workspace, qps=20) as emu:
        clients = [sdk(emu) for _ in range(4)]
        outcomes: list[str] = []

        def hammer(client) -> None:
            for _ in range(15):
                try:
                    client.get_node(m.GetNodeRequest(node_id=700000000101, project_env=PROD))
                    outcomes.append("ok")
                except ClientException as e:
                    outcomes.append(f"{e.status_code} {e.code}")

        threads = [threading.Thread(target=hammer, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stats = emu.stats()
    assert set(outcomes) == {"ok", "429 Throttling.User"}
    assert stats["throttled"] == outcomes.count("429 Throttling.User")
    assert stats["served"] == outcomes.count("ok") == stats["requests"] - stats["throttled"]


def test_retry_after_makes_the_sdk_raise_throttling_exception(small_workspace, sdk):
    with Emulator(small_workspace) as emu:
        emu.set_faults(qps=1, retry_after_ms=250)
        client = sdk(emu)
        client.list_projects(m.ListProjectsRequest())
        with pytest.raises(ThrottlingException) as info:
            client.list_projects(m.ListProjectsRequest())
    assert (info.value.code, info.value.retry_after) == ("Throttling.User", 250)


def test_error_rate_one_gives_500_internal_error(small_workspace, sdk):
    with Emulator(small_workspace, error_rate=1.0) as emu:
        with pytest.raises(ServerException) as info:
            sdk(emu).list_projects(m.ListProjectsRequest())
        assert emu.stats()["errors"] == 1
    assert (info.value.status_code, info.value.code) == (500, "InternalError.System")


def test_only_update_workbench_event_result_fails_then_recovers(small_workspace, sdk):
    with Emulator(small_workspace) as emu:
        client = sdk(emu)
        emu.set_faults(error_rate=1.0, actions=["UpdateWorkbenchEventResult"])
        request = m.UpdateWorkbenchEventResultRequest(message_id="m-1", extension_code="x", check_result="OK")
        with pytest.raises(ServerException):
            client.update_workbench_event_result(request)
        assert client.get_node(m.GetNodeRequest(node_id=700000000101, project_env=PROD)).body.success
        emu.set_faults()
        assert client.update_workbench_event_result(request).body.success
        assert [r["MessageId"] for r in emu.results] == ["m-1"]


def test_faults_change_at_runtime_over_http(small_workspace, sdk):
    with Emulator(small_workspace) as emu:
        def post(settings: dict) -> tuple[int, dict]:
            req = urllib.request.Request(f"{emu.url}/_emulator/faults", data=json.dumps(settings).encode(),
                                         method="POST")
            try:
                with urllib.request.urlopen(req) as response:
                    return response.status, json.loads(response.read())
            except urllib.error.HTTPError as e:
                return e.code, json.loads(e.read())

        status, current = post({"error_rate": 1.0, "actions": ["ListProjects"]})
        assert status == 200 and current["actions"] == ["ListProjects"] and current["error_rate"] == 1.0
        with pytest.raises(ServerException):
            sdk(emu).list_projects(m.ListProjectsRequest())
        assert post({"error_rate": 2})[0] == 400
        assert post({})[1] == {"qps": None, "error_rate": 0.0, "latency_ms": 0.0, "actions": None,
                               "retry_after_ms": None}
        assert sdk(emu).list_projects(m.ListProjectsRequest()).body.page_result.total_count == 3
        with urllib.request.urlopen(f"{emu.url}/_emulator/stats") as response:
            stats = json.loads(response.read())
        assert (stats["errors"], stats["by_action"]) == (1, {"ListProjects": 1})


def test_latency_is_added_per_request(small_workspace, sdk):
    with Emulator(small_workspace, latency_ms=80) as emu:
        client = sdk(emu)
        start = time.perf_counter()
        client.list_projects(m.ListProjectsRequest())
        assert time.perf_counter() - start >= 0.08
        emu.set_faults()
        start = time.perf_counter()
        client.list_projects(m.ListProjectsRequest())
        assert time.perf_counter() - start < 0.05
