"""End to end over real HTTP and the real SDK: signed pushes in, one UpdateWorkbenchEventResult per
extension-point event out, with the CheckResult `opsguard check` computes for the same event."""

from __future__ import annotations

import json

import pytest

from evaluator.evaluate import evaluate
from evaluator.events import parse_event
from lineage.live import GraphHolder
from evaluator.policy import default_policy, policy_from_mapping
from lineage.snapshots import SnapshotStore
from tests.service.conftest import EXTENSION_CODE, EXTENSION_SAMPLES, renamed, reported, sample, \
    wait_reported

# DataWorks' order: the freeze is checked, done (node-change-updated makes the node PAUSE), undone later.
ORDER = ("freeze-node", "node-change-updated", "unfreeze-node", "undeploy-node", "backfill-data")
# The unfreeze's catch-up depends on today's date against the run history, so either OK or WARN (sent as OK).
EXPECTED = {"freeze-node": {("FAIL", "FAIL")}, "unfreeze-node": {("OK", "OK"), ("WARN", "OK")},
            "undeploy-node": {("FAIL", "FAIL")}, "backfill-data": {("WARN", "OK")}}


def test_each_sample_is_reported_exactly_once_with_its_check_result(start_server, emulator):
    server = start_server()
    statuses = {code: server.pusher.push(sample(code)) for code in ORDER}
    assert {c: r.status_code for c, r in statuses.items()} == {
        "freeze-node": 202, "node-change-updated": 200, "unfreeze-node": 202, "undeploy-node": 202,
        "backfill-data": 202}
    ids = {code: sample(code)["id"] for code in EXTENSION_SAMPLES}
    results = wait_reported(emulator, set(ids.values()), server=server)
    for code, mid in ids.items():
        assert len(results[mid]) == 1, (code, results[mid])
        record = results[mid][0]
        stored = server.service.store.verdict(mid)
        assert (stored.result, record["CheckResult"]) in EXPECTED[code], (code, stored.tip)
        assert record["CheckResult"] == stored.wire_result
        assert record["ExtensionCode"] == EXTENSION_CODE and record["CheckResultTip"] == stored.tip
        assert len(record["CheckResultTip"]) <= 300
        if stored.result == "WARN":
            assert record["CheckResultTip"].startswith("WARNING: ")
    # the node-change event blocks nothing: nothing is reported for it
    assert not reported(emulator, [sample("node-change-updated")["id"]])[sample("node-change-updated")["id"]]
    assert len(emulator.results) == len(EXTENSION_SAMPLES)


def test_server_verdicts_equal_offline_evaluation_of_the_same_events(start_server, emulator, data_dir):
    """Preview and enforcement share one code path: the stored verdict is `evaluate()` on the same graph."""
    server = start_server()
    for code in ("freeze-node", "undeploy-node", "backfill-data"):
        server.pusher.push(sample(code))
    wait_reported(emulator, {sample(c)["id"] for c in ("freeze-node", "undeploy-node", "backfill-data")}, server=server)
    holder = GraphHolder(SnapshotStore(data_dir))
    holder.refresh()
    for code in ("freeze-node", "undeploy-node", "backfill-data"):
        offline = evaluate(parse_event(sample(code)), holder.current().graph, default_policy(),
                           options=holder.current().options)
        stored = server.service.store.verdict(sample(code)["id"]).data()
        assert stored["result"] == offline.result.value and stored["tip"] == offline.tip
        assert [c["status"] for c in stored["checkpoints"]] == [c.status.value for c in offline.checkpoints]
        assert stored["impact"] == json.loads(json.dumps(offline.to_json()["impact"]))


def test_redelivered_message_is_answered_from_the_stored_verdict_not_reported_again(start_server, emulator):
    server = start_server()
    freeze = sample("freeze-node")
    assert server.pusher.push(freeze).status_code == 202
    wait_reported(emulator, [freeze["id"]], server=server)
    again = server.pusher.push(freeze)   # EventBridge re-delivers: new timestamp, new signature
    assert again.status_code == 200
    body = again.json()
    assert body["status"] == "duplicate" and body["result"] == "FAIL" and body["wire_result"] == "FAIL"
    assert server.service.store.backlog() == {"accepted": 0, "judged": 0}    # nothing new to judge or post
    assert len(reported(emulator, [freeze["id"]])[freeze["id"]]) == 1
    assert server.service.metrics.value("verdicts", code="freeze-node", result="FAIL") == 1


def test_recheck_with_a_new_message_id_and_same_extension_biz_id_is_judged_again(start_server, emulator):
    server = start_server()
    first = sample("freeze-node", fresh=True)
    server.pusher.push(first)
    wait_reported(emulator, [first["id"]], server=server)
    recheck = renamed(first)   # the Recheck button: same extensionBizId, new message id (INFERRED)
    assert server.pusher.push(recheck).status_code == 202
    results = wait_reported(emulator, [recheck["id"]], server=server)
    assert results[recheck["id"]][0]["CheckResult"] == "FAIL"
    stored = server.service.store.verdict(recheck["id"])
    assert stored.recheck_of == first["id"] and stored.data()["recheck_of"] == first["id"]


def test_an_unsigned_recheck_flag_does_not_judge_a_stored_message_again(start_server, emulator):
    """Reproduction (issue 21.2): `x-opsguard-recheck: true` or `?recheck=true` on a re-sent (or replayed)
    push once judged the stored message again and posted DataWorks a second result. Only DataWorks may cause
    a Recheck (a new message id, see the test above): a stored message id is a duplicate, whatever else."""
    server = start_server()
    p = server.pusher
    event = sample("undeploy-node", fresh=True)
    assert p.push(event).status_code == 202
    wait_reported(emulator, [event["id"]], server=server)
    body = p.body(event)
    flagged = p.post(body, {**p.signed_headers(body), "x-opsguard-recheck": "true"})
    queried = p.post(body, p.signed_headers(body, url=f"{p.events_url}?recheck=true"), path="/events?recheck=true")
    for answer in (flagged, queried):
        assert answer.status_code == 200 and answer.json()["status"] == "duplicate", answer.text
    assert server.service.store.backlog() == {"accepted": 0, "judged": 0}     # nothing to judge or post again
    assert len(reported(emulator, [event["id"]])[event["id"]]) == 1


@pytest.mark.parametrize("warn_as, wire", [("OK", "OK"), ("FAIL", "FAIL")])
def test_warn_goes_on_the_wire_as_policy_warn_as(start_server, emulator, warn_as, wire):
    server = start_server(service={"policy": policy_from_mapping({"warn_as": warn_as})})
    backfill = sample("backfill-data", fresh=True)
    assert server.pusher.push(backfill).status_code == 202
    record = wait_reported(emulator, [backfill["id"]], server=server)[backfill["id"]][0]
    assert server.service.store.verdict(backfill["id"]).result == "WARN"
    assert record["CheckResult"] == wire and record["CheckResultTip"].startswith("WARNING: ")
