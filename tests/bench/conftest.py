"""The bench scripts are not a package (each runs as `python bench/<name>.py`): tests load them by path."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def bench_dir() -> Path:
    """The `bench/` directory (for a test that runs a script there, or imports it in a subprocess)."""
    return BENCH


@pytest.fixture
def bench_module() -> Callable[[str], ModuleType]:
    """`bench_module("serve_trace")`: a fresh import of `bench/serve_trace.py`, as module `bench_serve_trace`."""

    def load(name: str) -> ModuleType:
        qualified = f"bench_{name}"   # not a bare "serve" or "prune" left in sys.modules for other tests
        spec = importlib.util.spec_from_file_location(qualified, BENCH / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[qualified] = module   # as an import would: dataclasses look their module up there
        spec.loader.exec_module(module)
        return module

    return load
