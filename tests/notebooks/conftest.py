"""Snapshots for the notebook API tests: the demo workspace (as `opsguard demo` generates it) and a
five-node workspace whose answers are obvious, each published in a temporary data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.notebooks.helpers import publish, small_fixture


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose live snapshot is the demo workspace (`generate_workspace(3000, seed=7)`)."""
    from sandbox.workspace import generate_workspace

    home = tmp_path_factory.mktemp("opsguard-home")
    publish(home, generate_workspace(3000, seed=7))
    return home


@pytest.fixture(scope="session")
def small_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose live snapshot is `small_fixture()`."""
    home = tmp_path_factory.mktemp("small-home")
    publish(home, small_fixture())
    return home
