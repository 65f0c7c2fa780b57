"""kill -9 between accepting and reporting: after a restart every accepted event is reported exactly once."""

from __future__ import annotations

import duckdb

from opsguard.accept_journal import AcceptJournal, decode_row, journal_dir
from tests.service.conftest import reported, sample, wait_for, wait_reported

RESULT_API = ["UpdateWorkbenchEventResult"]


def _inbox_statuses(data_dir, message_ids):
    con = duckdb.connect(str(data_dir / "state.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT message_id, status FROM inbox").fetchall()
    finally:
        con.close()
    return {m: s for m, s in rows if m in message_ids}


def _journaled(data_dir):
    """Message ids in the accept journal (answered, their inbox rows maybe not committed yet)."""
    return {decode_row(line).message_id for line in AcceptJournal(journal_dir(data_dir / "state.duckdb")).replay()}


def test_kill_9_before_reporting_then_restart_reports_every_accepted_event_once(serve_process, emulator, data_dir):
    emulator.set_faults(error_rate=1.0, actions=RESULT_API)   # results cannot be delivered: all stay pending
    server = serve_process()
    codes = ["freeze-node", "unfreeze-node", "undeploy-node", "backfill-data"]
    events = [sample(codes[i % 4], fresh=True) for i in range(40)]
    statuses = [server.pusher.push(e).status_code for e in events]
    assert statuses == [202] * len(events)
    ids = {e["id"] for e in events}
    # killed while reports fail (some may still be waiting for evaluation)
    wait_for(lambda: emulator.stats()["errors"] >= 1, what="a failed report attempt")
    server.kill_hard()
    assert not any(reported(emulator, ids).values()), "nothing can have been delivered before the kill"

    at_kill = _inbox_statuses(data_dir, ids)
    assert set(at_kill) | _journaled(data_dir) >= ids    # every 2xx was on disk before it was sent
    assert set(at_kill.values()) <= {"accepted", "evaluated"}

    emulator.set_faults()                                # DataWorks is back
    restarted = serve_process()
    results = wait_reported(emulator, ids, timeout=60)
    wait_for(lambda: set(_statuses_via_api(restarted, ids)) == {"reported"}, what="all reported")
    assert {m: len(r) for m, r in results.items()} == {m: 1 for m in ids}
    assert restarted.terminate() == 0
    # after a clean stop and another start, nothing is reported again
    again = serve_process()
    assert again.pusher.client.get(f"{again.url}/readyz").status_code == 200
    assert {m: len(r) for m, r in reported(emulator, ids).items()} == {m: 1 for m in ids}
    assert again.terminate() == 0


def _statuses_via_api(server, ids):
    checks = server.pusher.client.get(f"{server.url}/api/checks", params={"limit": 1000}).json()
    return [c["status"] for c in checks if c["message_id"] in ids]


def test_evaluated_events_are_reported_from_the_stored_verdict_after_a_restart(serve_process, emulator):
    emulator.set_faults(error_rate=1.0, actions=RESULT_API)
    server = serve_process()
    event = sample("freeze-node", fresh=True)
    assert server.pusher.push(event).status_code == 202
    check_url = f"{server.url}/api/checks/{event['id']}"
    wait_for(lambda: server.pusher.client.get(check_url).json()["inbox"]["status"] == "evaluated",
             what="evaluated")
    # Kill only once a failed report attempt is on record, so the restart's delivery follows a failure.
    wait_for(lambda: any(a["http_status"] == 500 for a in server.pusher.client.get(check_url).json()["deliveries"]),
             what="a failed report attempt recorded")
    before = server.pusher.client.get(check_url).json()
    server.kill_hard()
    emulator.set_faults()
    restarted = serve_process()
    record = wait_reported(emulator, [event["id"]], server=restarted)[event["id"]][0]
    after = restarted.pusher.client.get(f"{restarted.url}/api/checks/{event['id']}").json()
    assert record["CheckResult"] == before["verdict"]["wire_result"]
    assert after["verdict"]["tip"] == before["verdict"]["tip"]
    assert after["stored"]["evaluated_at"] == before["stored"]["evaluated_at"]  # not judged again
    attempts = after["deliveries"]
    assert attempts[-1]["outcome"] == "delivered" and any(a["http_status"] == 500 for a in attempts[:-1])
    assert restarted.terminate() == 0


def test_a_push_the_journal_cannot_take_gets_a_503_yet_is_reported_once(start_server, emulator):
    server = start_server()
    server.service.journal.stop()              # as if its disk went away: no entry can be written
    event = sample("undeploy-node", fresh=True)
    answer = server.pusher.push(event)
    assert answer.status_code == 503 and "accept journal" in answer.json()["detail"]
    # Its inbox row and judging were under way already: it is reported once, and the sender's retry
    # is a duplicate answered from the store, never judged again.
    record = wait_reported(emulator, [event["id"]], server=server)[event["id"]]
    retry = server.pusher.push(event)
    assert retry.status_code == 200 and retry.json()["status"] == "duplicate"
    assert retry.json()["wire_result"] == record[0]["CheckResult"] == "FAIL"
    assert len(reported(emulator, [event["id"]])[event["id"]]) == 1
