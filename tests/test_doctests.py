"""Every docstring example in `lineage` and `sql` runs (examples cannot rot)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import lineage

MODULES = ["sql", "lineage", *(f"lineage.{m.name}" for m in pkgutil.iter_modules(lineage.__path__))]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
