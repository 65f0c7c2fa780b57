"""Fixtures shared across the suite: generated workspaces and running emulators (real HTTP)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from lineage.credentials import AccessKey

TEST_KEY = AccessKey(id="test-ak-0001", secret="test-secret-0001")
DATAWORKS_TZ = timezone(timedelta(hours=8))


def yesterday_in_dataworks_tz() -> date:
    return datetime.now(DATAWORKS_TZ).date() - timedelta(days=1)


@pytest.fixture(scope="session")
def workspace_factory() -> Callable[..., dict[str, Any]]:
    """generate_workspace, memoised per arguments for the session (tests must not mutate the result)."""
    from sandbox.workspace import generate_workspace

    cache: dict[tuple, dict[str, Any]] = {}

    def make(nodes: int, seed: int = 0, days: int = 5, end_bizdate: date | None = None) -> dict[str, Any]:
        key = (nodes, seed, days, end_bizdate)
        if key not in cache:
            cache[key] = generate_workspace(nodes, seed=seed, days=days, end_bizdate=end_bizdate)
        return cache[key]

    return make


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., Any]]:
    """Start emulators serving a fixture with the test key; all are stopped after the test."""
    from sandbox.emulator import Emulator

    started: list[Any] = []

    def start(fixture: dict[str, Any], **options: Any) -> Any:
        emulator = Emulator(fixture, access_key_id=TEST_KEY.id, access_key_secret=TEST_KEY.secret, **options)
        emulator.__enter__()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.__exit__(None, None, None)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A real PostgreSQL cluster for the session (see tests/postgres_server.py)."""
    from tests.postgres_server import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def store_engine(request) -> str:
    """Run a test on both store engines."""
    return request.param


@pytest.fixture
def state_url(store_engine, request) -> str:
    """'' for SQLite (the data dir's file), else a fresh PostgreSQL database's URL."""
    if store_engine == "sqlite":
        return ""
    return request.getfixturevalue("postgres_server").database()
