"""Shared fixtures for the sandbox tests: small generated workspaces and SDK clients (real HTTP)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import pytest

from sandbox.emulator import Emulator
from sandbox.workspace import generate_workspace

AK, SECRET = "test-ak", "test-secret"
END = date(2026, 11, 19)


@pytest.fixture(scope="session")
def small_workspace() -> dict:
    """300 nodes, 5 bizdates of history ending 2026-11-19 (do not mutate)."""
    return generate_workspace(300, seed=3, days=5, end_bizdate=END)


@pytest.fixture(scope="session")
def sdk() -> Callable[..., object]:
    """Factory of real SDK clients pointed at an emulator."""
    from alibabacloud_dataworks_public20200518.client import Client
    from alibabacloud_tea_openapi.utils_models import Config

    def make(emulator: Emulator, access_key_id: str = AK, secret: str = SECRET) -> Client:
        return Client(Config(access_key_id=access_key_id, access_key_secret=secret,
                             endpoint=emulator.endpoint, protocol="HTTP"))

    return make


@pytest.fixture
def emulator(small_workspace: dict) -> Iterator[Emulator]:
    with Emulator(small_workspace, access_key_id=AK, access_key_secret=SECRET) as emu:
        yield emu
