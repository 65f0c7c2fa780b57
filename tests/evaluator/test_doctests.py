"""Every docstring example in the evaluator runs (examples cannot rot)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import evaluator.checks
import evaluator.events
import evaluator.policy

PACKAGES = (evaluator.checks, evaluator.events, evaluator.policy)
MODULES = ["evaluator.verdict", "evaluator.evaluate", "evaluator.docs_page", "evaluator.audit",
           "evaluator.cli.audit_cmd",
           *(p.__name__ for p in PACKAGES),
           *(f"{p.__name__}.{m.name}" for p in PACKAGES for m in pkgutil.iter_modules(p.__path__))]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
