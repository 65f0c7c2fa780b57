"""kill -9 between accepting and reporting, on SQLite and on PostgreSQL: after a restart every accepted
event is reported, each with the one stored verdict. On a full disk a push is refused with 503 and never
posted (only what was answered 2xx is ever reported)."""

from __future__ import annotations

import os
import shutil

import pytest

from opsguard.store import open_store
from tests.service.conftest import reported, sample, tmpfs, wait_for, wait_reported

RESULT_API = ["UpdateWorkbenchEventResult"]


def _statuses(data_dir, state_url, message_ids):
    store = open_store(data_dir=data_dir, state_url=state_url, migrate_schema=False)   # read beside the server
    try:
        return {m: store.inbox_row(m).status.value for m in message_ids if store.inbox_row(m) is not None}
    finally:
        store.close()


def test_kill_9_before_reporting_then_restart_reports_every_accepted_event_once(serve_process, emulator, data_dir,
                                                                                 state_url):
    emulator.set_faults(error_rate=1.0, actions=RESULT_API)   # results cannot be delivered: all stay pending
    server = serve_process()
    codes = ["freeze-node", "unfreeze-node", "undeploy-node", "backfill-data"]
    events = [sample(codes[i % 4], fresh=True) for i in range(40)]
    statuses = [server.pusher.push(e).status_code for e in events]
    assert statuses == [202] * len(events)
    ids = {e["id"] for e in events}
    wait_for(lambda: emulator.stats()["errors"] >= 1, what="a failed report attempt")
    server.kill_hard()
    assert not any(reported(emulator, ids).values()), "nothing can have been delivered before the kill"

    at_kill = _statuses(data_dir, state_url, ids)
    assert set(at_kill) == ids                              # every 2xx was committed before it was sent
    assert set(at_kill.values()) <= {"accepted", "judged"}

    emulator.set_faults()                                   # DataWorks is back
    restarted = serve_process()
    results = wait_reported(emulator, ids, timeout=60)
    wait_for(lambda: set(_statuses(data_dir, state_url, ids).values()) == {"reported"}, what="all reported")
    assert {m: len(r) for m, r in results.items()} == {m: 1 for m in ids}
    assert restarted.terminate() == 0
    again = serve_process()                                 # after a clean stop and another start: nothing again
    assert again.pusher.client.get(f"{again.url}/readyz").status_code == 200
    assert {m: len(r) for m, r in reported(emulator, ids).items()} == {m: 1 for m in ids}
    assert again.terminate() == 0


def test_judged_events_are_reported_from_the_stored_verdict_after_a_restart(serve_process, emulator):
    emulator.set_faults(error_rate=1.0, actions=RESULT_API)
    server = serve_process()
    event = sample("freeze-node", fresh=True)
    assert server.pusher.push(event).status_code == 202
    check_url = f"{server.url}/api/checks/{event['id']}"
    # Kill only once a failed report attempt is on record, so the restart's delivery follows a failure.
    wait_for(lambda: any(a["http_status"] == 500 for a in server.pusher.client.get(check_url).json()["deliveries"]),
             what="a failed report attempt recorded")
    before = server.pusher.client.get(check_url).json()
    assert before["inbox"]["status"] == "judged"
    server.kill_hard()
    emulator.set_faults()
    restarted = serve_process()
    record = wait_reported(emulator, [event["id"]], server=restarted)[event["id"]][0]
    after = restarted.pusher.client.get(f"{restarted.url}/api/checks/{event['id']}").json()
    assert record["CheckResult"] == before["verdict"]["wire_result"]
    assert after["verdict"]["tip"] == before["verdict"]["tip"]
    assert after["stored"]["evaluated_at"] == before["stored"]["evaluated_at"]   # not judged again
    attempts = after["deliveries"]
    assert attempts[-1]["outcome"] == "delivered" and any(a["http_status"] == 500 for a in attempts[:-1])
    assert {a["check_result"] for a in attempts} == {record["CheckResult"]}      # every post: the stored verdict
    assert restarted.terminate() == 0


@pytest.fixture
def tiny_disk(tmp_path, demo_snapshot):
    """A data dir on a 16 MB file system of its own (tmpfs; mounting needs root, as CI has), holding the
    demo snapshot: the test fills the rest to make the disk full."""
    with tmpfs(tmp_path / "tiny", "16m") as mount:
        (mount / "snapshots").mkdir()
        shutil.copy(demo_snapshot, mount / "snapshots" / demo_snapshot.name)
        (mount / "snapshots" / "CURRENT").write_text(demo_snapshot.name + "\n", encoding="utf-8")
        yield mount


def _fill(directory) -> None:
    """Write until the file system refuses (ENOSPC)."""
    fd = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)


def test_on_a_full_disk_a_push_gets_503_is_never_posted_and_readyz_says_why(start_server, emulator, tiny_disk):
    server = start_server(data=tiny_disk)
    first = sample("freeze-node", fresh=True)
    assert server.pusher.push(first).status_code == 202
    wait_reported(emulator, [first["id"]], server=server)
    _fill(tiny_disk)
    refused = [sample("undeploy-node", fresh=True) for _ in range(5)]
    answers = [server.pusher.push(e) for e in refused]
    assert [a.status_code for a in answers] == [503] * 5
    assert "cannot be written" in answers[0].json()["detail"]
    ready = server.pusher.client.get(f"{server.url}/readyz")
    assert ready.status_code == 503 and ready.json()["store"]["writable"] is False
    (tiny_disk / "filler").unlink()                                     # space again
    wait_for(lambda: server.pusher.client.get(f"{server.url}/readyz").status_code == 200, what="ready again")
    retried = refused[0]                                                # EventBridge sends one of them again
    assert server.pusher.push(retried).status_code == 202
    wait_reported(emulator, [retried["id"]], server=server)
    never = [e["id"] for e in refused[1:]]                              # the others were never accepted...
    assert all(server.service.store.inbox_row(m) is None for m in never)
    assert not any(reported(emulator, never).values())                  # ...so never posted
