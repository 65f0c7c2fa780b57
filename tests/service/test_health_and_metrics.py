"""`/healthz`, `/readyz` and `/metrics`; no snapshot yet still gives every check an answer."""

from __future__ import annotations

import re

from tests.service.conftest import sample, wait_for, wait_reported


def test_readyz_reports_the_snapshot_and_metrics_count_what_happened(start_server, emulator):
    server = start_server()
    client = server.pusher.client
    assert client.get(f"{server.url}/healthz").json()["status"] == "ok"
    ready = client.get(f"{server.url}/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["ready"] and body["snapshot"]["nodes"] == 3000 and body["snapshot"]["age_seconds"] >= 0
    for code in ("freeze-node", "backfill-data", "node-change-updated"):
        server.pusher.push(sample(code))
    server.pusher.push(sample("freeze-node"))                       # a re-delivery
    wait_reported(emulator, [sample("freeze-node")["id"], sample("backfill-data")["id"]], server=server)
    text = client.get(f"{server.url}/metrics")
    assert text.headers["content-type"].startswith("text/plain; version=0.0.4")
    metrics = text.text
    for line in ('opsguard_events_total{code="freeze-node",result="accepted"} 1',
                 'opsguard_events_total{code="freeze-node",result="duplicate"} 1',
                 'opsguard_events_total{code="node-change-updated",result="applied"} 1',
                 'opsguard_verdicts_total{code="freeze-node",result="FAIL"} 1',
                 'opsguard_verdicts_total{code="backfill-data",result="WARN"} 1',
                 'opsguard_reports_total{outcome="delivered"} 2',
                 "opsguard_evaluation_seconds_count 2", 'opsguard_evaluation_seconds_bucket{le="+Inf"} 2'):
        assert line in metrics, line
    assert "# TYPE opsguard_report_failures_total counter" in metrics
    syncs = int(re.search(r"^opsguard_journal_sync_seconds_count (\d+)$", metrics, re.M).group(1))
    assert 1 <= syncs <= 2   # the two new extension events went through the accept journal, alone or together
    age = float(re.search(r"^opsguard_snapshot_age_seconds (\S+)$", metrics, re.M).group(1))
    assert 0 <= age < 3600
    wait_for(lambda: re.search(r"^opsguard_overlay_nodes 1$", client.get(f"{server.url}/metrics").text, re.M),
             what="the overlay gauge")


def test_without_a_snapshot_the_server_is_not_ready_but_still_answers_every_check(start_server, emulator, tmp_path):
    empty = tmp_path / "empty"
    server = start_server(data=empty)
    ready = server.pusher.client.get(f"{server.url}/readyz")
    assert ready.status_code == 503 and "opsguard sync" in ready.json()["reason"]
    event = sample("freeze-node", fresh=True)
    assert server.pusher.push(event).status_code == 202
    record = wait_reported(emulator, [event["id"]], server=server)[event["id"]][0]
    assert record["CheckResult"] == "FAIL"                      # on_error defaults to FAIL (docs/policy.md)
    assert record["CheckResultTip"].startswith("FAIL: opsguard could not judge this operation: no metadata")
    page = server.pusher.client.get(f"{server.url}/checks/{event['id']}")
    assert page.status_code == 200 and "No metadata snapshot is loaded" in page.text


def test_unknown_pages_are_404_not_500(start_server):
    server = start_server()
    client = server.pusher.client
    assert client.get(f"{server.url}/checks/nope").status_code == 404
    assert client.get(f"{server.url}/api/checks/nope").status_code == 404
    assert client.get(f"{server.url}/checks").status_code == 200
    assert client.get(f"{server.url}/api/checks").json() == []
