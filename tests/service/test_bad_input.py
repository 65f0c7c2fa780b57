"""Bad requests get the documented status, are recorded in `rejected` (or as ignored), never evaluated;
the server stays up and a good event sent between any two of them is still processed. A blocking event
whose payload cannot be read, but whose message id and code can, is answered once with `on_error`."""

from __future__ import annotations

import json
import time

import pytest

from tests.service.conftest import Pusher, reported, sample, wait_for, wait_reported

MAX_BODY = 256 * 1024


def _oversized(p: Pusher):
    event = sample("freeze-node", fresh=True)
    event["data"]["padding"] = "x" * (MAX_BODY + 1)
    return p.push(event)


def _wrong_content_type(p: Pusher):
    body = p.body(sample("freeze-node", fresh=True))
    return p.post(body, p.signed_headers(body, content_type="text/plain"))


def _no_content_type(p: Pusher):
    body = p.body(sample("freeze-node", fresh=True))
    headers = p.signed_headers(body)
    del headers["content-type"]
    return p.post(body, headers)


def _malformed_json(p: Pusher):
    body = b'{"id": "x", "data": {"eventCode": "freeze-node", '
    return p.post(body, p.signed_headers(body))


def _not_an_object(p: Pusher):
    body = b"[1, 2, 3]"
    return p.post(body, p.signed_headers(body))


def _missing_node_ids(p: Pusher):
    event = sample("freeze-node", fresh=True)
    del event["data"]["nodeIds"]
    return p.push(event)


def _wrong_type(p: Pusher):
    event = sample("freeze-node", fresh=True)
    event["data"]["nodeIds"] = "700000000101"
    return p.push(event)


def _missing_id(p: Pusher):
    event = sample("freeze-node", fresh=True)
    del event["id"]
    return p.push(event)


def _unknown_code(p: Pusher):
    event = sample("freeze-node", fresh=True)
    event["data"]["eventCode"] = "freeze-instance"
    event["type"] = "dataworks:InstanceChange:FreezeInstance"
    return p.push(event)


def _bad_signature(p: Pusher):
    body = p.body(sample("freeze-node", fresh=True))
    headers = p.signed_headers(body)
    return p.post(body.replace(b"700000000101", b"700000000102"), headers)   # tampered after signing


def _no_signature(p: Pusher):
    return p.post(p.body(sample("freeze-node", fresh=True)), {"content-type": "application/json"})


def _signed_for_another_url(p: Pusher):
    body = p.body(sample("freeze-node", fresh=True))
    return p.post(body, p.signed_headers(body, url="https://elsewhere.example/events"))


def _expired_timestamp(p: Pusher):
    return p.push(sample("freeze-node", fresh=True), now_ms=int(time.time() * 1000) - 120_000)


def _replayed(p: Pusher):
    body = p.body(sample("freeze-node", fresh=True))
    headers = p.signed_headers(body)
    first = p.post(body, headers)
    assert first.status_code == 202
    return p.post(body, headers)           # the very same signed request again


def _wrong_method(p: Pusher):
    return p.client.get(f"{p.url}/events")


CASES = [
    (_oversized, 413, "too-large"),
    (_wrong_content_type, 415, "unsupported-media-type"),
    (_no_content_type, 415, "unsupported-media-type"),
    (_malformed_json, 400, "malformed"),
    (_not_an_object, 400, "malformed"),
    (_missing_node_ids, 202, None),             # id and code readable: answered with on_error (below)
    (_wrong_type, 202, None),
    (_missing_id, 400, "malformed"),
    (_unknown_code, 200, "ignored"),
    (_bad_signature, 401, "unauthenticated"),
    (_no_signature, 401, "unauthenticated"),
    (_signed_for_another_url, 401, "unauthenticated"),
    (_expired_timestamp, 401, "unauthenticated"),
    (_replayed, 409, "replay"),
    (_wrong_method, 405, "method-not-allowed"),
]


def test_bad_requests_get_their_status_and_good_events_between_them_are_processed(start_server, emulator):
    server = start_server()
    p = server.pusher
    good_ids = []
    outcomes = []
    for make, status, reason in CASES:
        response = make(p)
        outcomes.append((make.__name__, response.status_code, _reason(response)))
        good = sample("undeploy-node", fresh=True)
        assert p.push(good).status_code == 202, make.__name__
        good_ids.append(good["id"])
    assert outcomes == [(m.__name__, s, r) for m, s, r in CASES]
    results = wait_reported(emulator, good_ids, server=server)   # and stored: refusals were queued before them
    assert all(len(r) == 1 and r[0]["CheckResult"] == "FAIL" for r in results.values())
    assert p.client.get(f"{server.url}/healthz").status_code == 200

    store = server.service.store
    rejected = store.rejected(limit=100)
    recorded = sorted((r.http_status, r.reason) for r in rejected)
    expected = sorted((s, r) for _, s, r in CASES if s not in (200, 202, 405))
    assert recorded == expected
    # refused requests were never stored, hence never evaluated or reported
    checks = store.recent_checks(limit=1000)
    stored_ids = {c.message_id for c in checks}
    assert {r.message_id for r in rejected if r.reason != "replay"}.isdisjoint(stored_ids)
    unreadable = sum(1 for _, s, _ in CASES if s == 202)
    # + the first copy of the replayed request, + the unreadable ones (answered with on_error)
    wait_for(lambda: len(emulator.results) == len(good_ids) + 1 + unreadable, what="every result")
    metrics = p.client.get(f"{server.url}/metrics").text
    assert 'opsguard_rejected_total{reason="unauthenticated",status="401"} 4.0' in metrics
    assert 'opsguard_events_total{code="freeze-instance",result="ignored"} 1.0' in metrics


def test_a_rejection_says_why_in_one_line(start_server):
    server = start_server()
    body = _missing_id(server.pusher).json()
    assert body["error"] == "malformed" and "\n" not in body["detail"]
    assert "deliver the complete event" in body["detail"] and "$.data" in body["detail"]
    assert _expired_timestamp(server.pusher).json()["detail"].startswith("StaleTimestamp: signature timestamp is")


def test_a_blocking_event_that_cannot_be_read_is_answered_once_with_on_error(start_server, emulator):
    """A backfill without `multipleTimePeriods` (or with a field of the wrong type) still has a message id and
    an extension-point code: the operator is not left at "check in progress"."""
    server = start_server()
    backfill = sample("backfill-data", fresh=True)
    del backfill["data"]["multipleTimePeriods"]
    wrong = sample("backfill-data", fresh=True)
    wrong["data"]["includeNodeIds"] = "700000000101"
    for event in (backfill, wrong):
        answer = server.pusher.push(event)
        assert answer.status_code == 202 and "on_error" in answer.json()["note"]
    results = wait_reported(emulator, [backfill["id"], wrong["id"]], server=server)
    for event, field in ((backfill, "multipleTimePeriods"), (wrong, "includeNodeIds")):
        (record,) = results[event["id"]]                          # exactly one result
        verdict = server.service.store.verdict(event["id"])
        assert verdict.result == "FAIL" and record["CheckResult"] == "FAIL"  # on_error fails closed by default
        assert field in record["CheckResultTip"] and record["CheckResultTip"].startswith("FAIL:")
        assert "\n" not in record["CheckResultTip"]
    unknown = _unknown_code(server.pusher)
    assert unknown.status_code == 200 and unknown.json()["status"] == "ignored"
    # stored as ignored from the start: no worker ever claims it, so nothing is posted for it
    assert server.service.store.inbox_row(unknown.json()["message_id"]).status.value == "ignored"
    assert not reported(emulator, [unknown.json()["message_id"]])[unknown.json()["message_id"]]


def test_an_unknown_code_is_acknowledged_and_recorded_as_ignored(start_server, emulator):
    server = start_server()
    response = _unknown_code(server.pusher)
    assert response.json()["status"] == "ignored" and "instance operation" in response.json()["reason"]
    row = server.service.store.inbox_row(response.json()["message_id"])
    assert row.kind.value == "ignored" and row.status.value == "ignored" and "instance" in row.reason
    assert not reported(emulator, [row.message_id])[row.message_id]   # final from the start: never claimed


@pytest.mark.parametrize("header", ["x-opsguard-token", "authorization"])
def test_shared_token_instead_of_signatures(start_server, emulator, header):
    from opsguard.webhook.auth import TokenAuth

    token = "t0ken-" + "x" * 20
    server = start_server(auth=TokenAuth(token))
    event = sample("freeze-node", fresh=True)
    body = json.dumps(event).encode()
    value = token if header == "x-opsguard-token" else f"Bearer {token}"
    bad = server.pusher.post(body, {"content-type": "application/json", header: "wrong"})
    assert bad.status_code == 401
    ok = server.pusher.post(body, {"content-type": "application/cloudevents+json", header: value})
    assert ok.status_code == 202
    wait_reported(emulator, [event["id"]])


def _reason(response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    return body.get("error") or (body.get("status") if body.get("status") == "ignored" else None)


def test_poison_pushes_get_a_final_4xx_not_a_retried_5xx(start_server, emulator):
    """Requests that can never succeed get a final answer: EventBridge must not retry them for 24 h. A blocking
    event whose id and code are readable is answered (on_error) even when a field is absurd."""
    server = start_server()
    p = server.pusher
    lone_surrogate = b'{"id":"\\udfff"}'
    assert p.post(lone_surrogate, {"content-type": "application/json"}).status_code == 401   # unauthenticated
    assert p.post(lone_surrogate, p.signed_headers(lone_surrogate)).status_code == 400
    huge = sample("freeze-node", fresh=True)
    body = p.body(huge).replace(b"[700000000101]", b"[" + b"9" * 5000 + b"]")
    assert p.post(body, p.signed_headers(body)).status_code == 202
    (record,) = wait_reported(emulator, [huge["id"]], server=server)[huge["id"]]
    assert record["CheckResult"] == "FAIL" and "nodeIds" in record["CheckResultTip"]
    long_id = sample("freeze-node", fresh=True)
    long_id["id"] = "x" * 70_000
    answer = p.push(long_id)
    assert answer.status_code == 400 and "id" in answer.json()["detail"]
    assert {c.message_id for c in server.service.store.recent_checks()} == {huge["id"]}   # nothing else stored


@pytest.mark.parametrize("path", ["/api/audit?since=999999999d", "/api/audit?limit=9223372036854775808",
                                  "/api/audit?node=" + "9" * 5000, "/api/checks?limit=0",
                                  "/api/checks?limit=9223372036854775808",
                                  "/api/checks/x/path/9223372036854775808", "/checks/x/path/-1",
                                  "/api/checks/" + "x" * 300])
def test_absurd_query_parameters_are_a_400(start_server, path):
    server = start_server()
    answer = server.pusher.client.get(f"{server.url}{path}")
    assert answer.status_code == 400, (answer.status_code, answer.text[:300])
    assert "Traceback" not in answer.text and len(answer.text) < 2000
