"""`/healthz`, `/readyz` and `/metrics`; without a snapshot checks wait (stored) until one is published."""

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
    emulator.update_node({"NodeId": 700000000101, "SchedulerType": "PAUSE"})   # the freeze went through
    for code in ("freeze-node", "backfill-data", "node-change-updated"):
        server.pusher.push(sample(code))
    server.pusher.push(sample("freeze-node"))                       # a re-delivery
    wait_reported(emulator, [sample("freeze-node")["id"], sample("backfill-data")["id"]], server=server)
    wait_for(lambda: server.service.store.inbox_row(sample("node-change-updated")["id"]).status.value == "applied",
             what="the node change confirmed in production")
    text = client.get(f"{server.url}/metrics")
    assert text.headers["content-type"].startswith("text/plain; version=")
    metrics = text.text
    wait_for(lambda: 'opsguard_reports_total{outcome="delivered"} 2.0' in client.get(f"{server.url}/metrics").text,
             what="the workers' counts reach the server")
    metrics = client.get(f"{server.url}/metrics").text
    for line in ('opsguard_events_total{code="freeze-node",result="accepted"} 1.0',
                 'opsguard_events_total{code="freeze-node",result="duplicate"} 1.0',
                 'opsguard_events_total{code="node-change-updated",result="node-change"} 1.0',
                 'opsguard_node_changes_total{outcome="applied"} 1.0',
                 'opsguard_verdicts_total{code="freeze-node",result="FAIL"} 1.0',
                 'opsguard_verdicts_total{code="backfill-data",result="WARN"} 1.0',
                 "opsguard_evaluation_seconds_count 2.0", 'opsguard_evaluation_seconds_bucket{le="+Inf"} 2.0',
                 "opsguard_accept_seconds_count 4.0", "opsguard_pending_reports 0.0"):
        assert line in metrics, line
    assert "# TYPE opsguard_report_failures_total counter" in metrics
    age = float(re.search(r"^opsguard_snapshot_age_seconds (\S+)$", metrics, re.M).group(1))
    assert 0 <= age < 3600
    wait_for(lambda: re.search(r"^opsguard_overlay_nodes 1.0$", client.get(f"{server.url}/metrics").text, re.M),
             what="the overlay gauge")


def test_without_a_snapshot_checks_wait_stored_until_one_is_published(start_server, emulator, tmp_path,
                                                                       demo_workspace):
    from lineage.snapshot_writer import write_fixture_snapshot
    from lineage.snapshots import SnapshotStore

    empty = tmp_path / "empty"
    server = start_server(data=empty)
    ready = server.pusher.client.get(f"{server.url}/readyz")
    assert ready.status_code == 503 and "opsguard sync" in ready.json()["reason"]
    event = sample("freeze-node", fresh=True)
    assert server.pusher.push(event).status_code == 202
    page = server.pusher.client.get(f"{server.url}/checks/{event['id']}")
    assert page.status_code == 200 and "No metadata snapshot is loaded" in page.text
    assert server.service.store.inbox_row(event["id"]).status.value == "accepted"   # not answered blind
    snapshots = SnapshotStore(empty)                                                  # `opsguard sync` elsewhere
    partial = snapshots.new_partial()
    write_fixture_snapshot(demo_workspace, partial)
    snapshots.publish(partial)
    record = wait_reported(emulator, [event["id"]], server=server)[event["id"]][0]
    assert record["CheckResult"] == "FAIL" and "blocks" in record["CheckResultTip"]


def test_unknown_pages_are_404_not_500(start_server):
    server = start_server()
    client = server.pusher.client
    assert client.get(f"{server.url}/checks/nope").status_code == 404
    assert client.get(f"{server.url}/api/checks/nope").status_code == 404
    assert client.get(f"{server.url}/checks").status_code == 200
    assert client.get(f"{server.url}/api/checks").json() == []
