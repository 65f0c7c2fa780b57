"""Every docstring example in the evaluator runs (examples cannot rot)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import evaluator.checks

MODULES = ["evaluator.events", "evaluator.policy", "evaluator.verdict", "evaluator.evaluate", "evaluator.checks",
           *(f"evaluator.checks.{m.name}" for m in pkgutil.iter_modules(evaluator.checks.__path__))]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
