"""Threads that make a client's first calls at once share one SDK HTTP session (real SDK, emulator)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import darabonba.core

from lineage.client import DataWorksClient
from lineage.config import DataWorksSettings

from tests.conftest import TEST_KEY

THREADS = 16


def test_simultaneous_first_calls_build_the_sdk_session_once(workspace_factory, emulator_factory, monkeypatch):
    emulator = emulator_factory(workspace_factory(50, seed=3))
    settings = DataWorksSettings(endpoint=emulator.url, rate_limit=1000.0, concurrency=THREADS, max_attempts=1)
    client = DataWorksClient(settings, TEST_KEY)
    built: list[object] = []
    real_session = darabonba.core.Session

    def counted_session() -> object:
        session = real_session()
        built.append(session)
        return session

    monkeypatch.setattr(darabonba.core, "Session", counted_session)
    start = threading.Barrier(THREADS)

    def first_call(i: int) -> None:
        start.wait()
        client.update_workbench_event_result(f"first-{i}", "opsguard", "OK", "tip")

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(first_call, range(THREADS)))

    assert len(built) == 1
    assert sorted(r["MessageId"] for r in emulator.results) == sorted(f"first-{i}" for i in range(THREADS))
