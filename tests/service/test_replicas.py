"""Several `opsguard serve` replicas on one PostgreSQL store and one shared data dir: pushes spread over
them are each judged once and reported; a replica killed mid-stream loses nothing (another finishes what it
had claimed once its lease lapses); one replica syncs at a time; a published snapshot reaches all."""

from __future__ import annotations

import itertools
import threading

import pytest

from lineage.records import DATAWORKS_TZ
from opsguard.config import ScheduleSettings
from opsguard.metrics import Metrics
from opsguard.schedule import Schedule
from opsguard.store import open_store
from tests.service.conftest import reported, sample, wait_for

RESULT_API = ["UpdateWorkbenchEventResult"]
pytestmark = pytest.mark.parametrize("store_engine", ["postgres"], indirect=True)


def test_two_replicas_share_the_work_and_a_killed_one_loses_nothing(serve_process, emulator, data_dir, state_url):
    emulator.set_faults(latency_ms=40, actions=RESULT_API)        # DataWorks a little away: posts in flight
    a, b = serve_process(), serve_process()
    codes = itertools.cycle(["freeze-node", "unfreeze-node", "undeploy-node", "backfill-data"])
    accepted: list[str] = []
    for i in range(120):
        event = sample(next(codes), fresh=True)
        target = a if i % 2 == 0 else b
        if i == 60:
            a.kill_hard()                                          # mid-stream, with work claimed and in flight
        if target is a and i >= 60:
            target = b                                             # the load balancer notices A is gone
        answer = target.pusher.push(event)
        assert answer.status_code == 202, answer.text
        accepted.append(event["id"])
    restarted = serve_process()                                    # A comes back later
    emulator.set_faults()
    wait_for(lambda: all(reported(emulator, accepted).values()), timeout=90, what="every accepted event reported")
    store = open_store(data_dir=data_dir, state_url=state_url, migrate_schema=False)
    try:
        wait_for(lambda: store.backlog() == {"accepted": 0, "judged": 0}, timeout=60, what="nothing left")
        records = reported(emulator, accepted)
        twice = {m: r for m, r in records.items() if len(r) > 1}
        for message_id, posts in records.items():
            verdict = store.verdict(message_id)
            assert {p["CheckResult"] for p in posts} == {verdict.wire_result}     # never two different results
            attempts = store.deliveries(message_id)
            assert [d.attempt for d in attempts] == list(range(1, len(attempts) + 1))
            assert len([d for d in attempts if d.outcome == "delivered"]) == 1
            if message_id in twice:                                # only a post cut off by the kill is repeated
                assert any(d.outcome == "unknown" for d in attempts), attempts
        print(f"{len(accepted)} accepted, {len(twice)} posted twice (their first post's outcome died with A)")
    finally:
        store.close()
    assert b.terminate() == 0 and restarted.terminate() == 0


def test_only_one_replica_syncs_at_a_time(data_dir, state_url):
    """The PostgreSQL advisory lock: a second replica's scheduled sync is skipped while the first runs."""
    stores = [open_store(data_dir=data_dir, state_url=state_url) for _ in range(2)]
    gate, started = threading.Event(), threading.Event()

    def slow_sync(full: bool):
        started.set()
        gate.wait(30)
        raise RuntimeError("emulated failure: the live snapshot stays")

    schedules = [Schedule(lambda: False, store, data_dir / f"snapshots-{i}",   # separate dirs: only the store's
                          ScheduleSettings(refresh_minutes=0, full_sync_at=""), tz=DATAWORKS_TZ,  # lock is shared
                          poll_seconds=0, metrics=Metrics(), sync_runner=slow_sync)
                 for i, store in enumerate(stores)]
    first = threading.Thread(target=schedules[0].run_sync_now, kwargs={"full": True})
    first.start()
    try:
        assert started.wait(10)
        assert schedules[1].run_sync_now(full=True) is False
        assert schedules[1].metrics.value("syncs", kind="full", outcome="skipped") == 1
    finally:
        gate.set()
        first.join(10)
        for store in stores:
            store.close()
    assert schedules[0].metrics.value("syncs", kind="full", outcome="failed") == 1
