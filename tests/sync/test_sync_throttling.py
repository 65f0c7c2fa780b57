"""A sync against a quota below its rate limit: throttling slows it down, never aborts it while calls get
through (real SDK, emulator over HTTP). Assertions are on counts the emulator records, never on timing;
the achieved rate against the quota is measured by `bench/sync.py --quota`."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import duckdb
import pytest

from lineage.client import DataWorksClient
from lineage.config import DataWorksSettings
from lineage.errors import ApiUnavailableError
from lineage.snapshots import SnapshotStore
from lineage.sync import SyncRequest, run_sync

from tests.conftest import TEST_KEY

END = date(2026, 11, 20)
NOTHING = 1e-6  # a quota of (almost) nothing: the emulator's bucket grants its first request, then none


def client_for(emulator, **settings) -> DataWorksClient:
    base = {"endpoint": emulator.url, "rate_limit": 300.0, "concurrency": 8}  # max_attempts: the default 8
    return DataWorksClient(DataWorksSettings(**{**base, **settings}), TEST_KEY)


def sync(client, data_dir):
    return run_sync(client, SnapshotStore(data_dir), SyncRequest(history_days=1, today=END + timedelta(days=1)))


def table_counts(path) -> tuple[int, int, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return tuple(con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("nodes", "edges", "instances"))
    finally:
        con.close()


def expected_counts(fixture) -> tuple[int, int, int]:
    return len(fixture["nodes"]), len({tuple(e) for e in fixture["edges"]}), len(fixture["instances"])


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def small(workspace_factory):
    return workspace_factory(300, seed=31, days=1, end_bizdate=END)


def test_a_sync_outlasts_a_quota_that_refuses_everything_for_a_while(small, emulator_factory, tmp_path):
    """The reproduction: with 8 calls in flight, 100 throttled replies in a row mean some call was refused
    8 times (pigeonhole), which aborted the old sync. Now it waits for the quota to come back."""
    emulator = emulator_factory(small, qps=NOTHING)
    client = client_for(emulator, rate_limit=2000.0)
    with ThreadPoolExecutor(1) as runner:
        running = runner.submit(sync, client, tmp_path)
        wait_for(lambda: emulator.stats()["throttled"] >= 100 or running.done())
        assert not running.done(), running.exception()
        emulator.set_faults()  # the quota is back
        result = running.result(timeout=120)
    assert table_counts(result.snapshot.path) == expected_counts(small)
    assert result.info["throttled"] >= 100 and result.info["api_errors"] == 0


def test_a_sync_against_a_quota_below_its_rate_limit_completes_with_few_refusals(small, emulator_factory, tmp_path):
    emulator = emulator_factory(small, qps=60)  # a fifth of the rate limit
    result = sync(client_for(emulator, rate_limit=300.0), tmp_path)
    assert table_counts(result.snapshot.path) == expected_counts(small)
    stats = emulator.stats()
    assert 0 < stats["throttled"] <= 0.25 * stats["served"]  # it found the quota instead of hammering it
    assert result.info["api_errors"] == 0


def test_throttling_with_retry_after_pauses_and_completes(small, emulator_factory, tmp_path):
    emulator = emulator_factory(small, qps=60, retry_after_ms=200)
    result = sync(client_for(emulator), tmp_path)
    assert table_counts(result.snapshot.path) == expected_counts(small)
    assert 0 < emulator.stats()["throttled"] <= 0.25 * emulator.stats()["served"]


def test_a_quota_that_never_comes_back_fails_once_no_call_got_through_for_the_patience(small, emulator_factory):
    emulator = emulator_factory(small, qps=NOTHING)
    client = client_for(emulator, throttle_patience_seconds=0.5)
    client.list_projects_page(1)  # the bucket's one token
    with pytest.raises(ApiUnavailableError, match="throttled every call for"):
        client.list_projects_page(1)
    assert emulator.stats()["throttled"] > 8  # more than the attempts other errors get


def test_one_attempt_means_one_attempt_even_when_throttled(small, emulator_factory):
    """The reporter runs its client with max_attempts = 1 and records every attempt itself."""
    emulator = emulator_factory(small, qps=NOTHING)
    client = client_for(emulator, max_attempts=1)
    client.list_projects_page(1)
    with pytest.raises(ApiUnavailableError):
        client.list_projects_page(1)
    assert emulator.stats()["requests"] == 2
