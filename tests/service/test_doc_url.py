"""Stored verdicts link each checkpoint to its documentation: relative by default, under the public URL
once one is configured (what DataWorks' "View Documentation" and other readers of the JSON follow)."""

from __future__ import annotations

from tests.service.conftest import sample, wait_reported


def test_doc_urls_hang_under_the_configured_public_url(start_server, emulator):
    public = "https://opsguard.example.com"
    server = start_server(public_url=public)
    event = sample("backfill-data", fresh=True)
    assert server.pusher.push(event, url=f"{public}/events").status_code == 202   # EventBridge signs the public URL
    wait_reported(emulator, [event["id"]], server=server)
    checkpoints = server.service.store.verdict(event["id"]).data()["checkpoints"]
    assert checkpoints and all(c["doc_url"] == f"{public}/docs#{c['name']}" for c in checkpoints)
    assert server.pusher.client.get(f"{server.url}/docs").status_code == 200
