"""Every docstring example in `lineage`, `sql` and the lineage CLI commands runs (examples cannot rot)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import lineage

MODULES = ["sql", "lineage", *(f"lineage.{m.name}" for m in pkgutil.iter_modules(lineage.__path__)),
           "evaluator.cli.impact_cmd", "evaluator.cli.backfill_cmd"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
