"""The worker processes behind the server: a killed worker is replaced and loses nothing; one process
can do both jobs; the policy they judge by crosses the process boundary intact."""

from __future__ import annotations

import os
import pickle
import signal

import pytest

from evaluator.policy import parse_policy
from tests.service.conftest import reported, sample, wait_for, wait_reported

RESULT_API = ["UpdateWorkbenchEventResult"]


def test_a_killed_judging_worker_is_replaced_and_every_event_is_reported_once(start_server, emulator):
    server = start_server()
    pool = server.service.workers
    judging = pool.pids[0]
    emulator.set_faults(latency_ms=300, actions=RESULT_API)   # keep work in flight while the worker dies
    events = [sample(("freeze-node", "undeploy-node", "backfill-data")[i % 3], fresh=True) for i in range(24)]
    assert [server.pusher.push(e).status_code for e in events[:12]] == [202] * 12
    os.kill(judging, signal.SIGKILL)
    assert [server.pusher.push(e).status_code for e in events[12:]] == [202] * 12
    emulator.set_faults()
    ids = {e["id"] for e in events}
    wait_reported(emulator, ids, timeout=60)
    wait_for(lambda: server.service.store.backlog() == {"accepted": 0, "judged": 0}, what="an empty backlog")
    assert {m: len(r) for m, r in reported(emulator, ids).items()} == {m: 1 for m in ids}
    assert pool.restarts == 1 and pool.pids[0] != judging and pool.alive
    assert server.pusher.client.get(f"{server.url}/readyz").json()["workers"]["restarts"] == 1


def test_one_worker_process_judges_and_posts(start_server, emulator):
    server = start_server(worker_processes=1)
    assert len(server.service.workers.pids) == 1
    events = [sample(code, fresh=True) for code in ("freeze-node", "unfreeze-node", "backfill-data")]
    assert [server.pusher.push(e).status_code for e in events] == [202] * 3
    results = wait_reported(emulator, {e["id"] for e in events})
    assert all(len(r) == 1 for r in results.values())


def test_worker_processes_run_below_the_servers_cpu_priority(start_server, emulator):
    server = start_server(worker_nice=3)
    pool = server.service.workers
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    wait_for(lambda: [os.getpriority(os.PRIO_PROCESS, pid) for pid in pool.pids] == [min(ours + 3, 19)] * 2,
             what="the workers lowering their priority as they start")
    event = sample("freeze-node", fresh=True)
    assert server.pusher.push(event).status_code == 202
    assert len(wait_reported(emulator, [event["id"]])[event["id"]]) == 1


def test_worker_nice_outside_0_to_19_is_a_config_error():
    from opsguard.config import parse_server
    from lineage.errors import ConfigError

    assert parse_server({"worker_nice": 0}).worker_nice == 0
    with pytest.raises(ConfigError, match="server.worker_nice: must be between 0 and 19, not 20"):
        parse_server({"worker_nice": 20})


@pytest.mark.parametrize("text", ["", "[backfill-volume]\nwarn = 3\n[projects.7.downstream-blocked]\nfail = 500\n"])
def test_a_policy_pickles_to_an_equal_policy(text):
    policy = parse_policy(text, "test.toml")
    again = pickle.loads(pickle.dumps(policy))
    assert again == policy and again.source == "test.toml"
    assert again.for_project(7).rule("downstream-blocked") == policy.for_project(7).rule("downstream-blocked")


def test_a_judgement_past_its_budget_is_answered_on_timeout(start_server, emulator):
    """The budget is enforced by the judge worker: past it, the message gets `on_timeout` (FAIL). (A judging
    thread still running at the deadline cannot be stopped: then the worker is also replaced.)"""
    from evaluator.policy import parse_policy

    # A budget no judgement fits in.
    policy = parse_policy("judge_budget_seconds = 0.000001\n", "tight.toml")
    server = start_server(service={"policy": policy}, worker_processes=2)
    hub = sample("freeze-node", fresh=True)
    assert server.pusher.push(hub).status_code == 202
    (record,) = wait_reported(emulator, [hub["id"]], server=server)[hub["id"]]
    assert record["CheckResult"] == "FAIL" and "could not judge this operation in time" in record["CheckResultTip"]
    verdict = server.service.store.verdict(hub["id"]).data()
    assert verdict["checkpoints"][0]["facts"]["timed_out"] is True
    wait_for(lambda: server.service.workers.alive, what="the judging workers running (replaced if stuck)")
