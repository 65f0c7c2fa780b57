"""Every docstring example in `sql`, `lineage`, `evaluator`, `opsguard` and `sandbox` runs (examples cannot rot)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import evaluator
import lineage
import opsguard
import sandbox


def _with_examples(names: list[str]) -> list[str]:
    """The modules that have docstring examples (a module without any would pass without testing anything)."""
    finder = doctest.DocTestFinder()
    return [name for name in names if any(test.examples for test in finder.find(importlib.import_module(name)))]


PACKAGES = (lineage, evaluator, opsguard, sandbox)
MODULES = _with_examples(["sql", *(p.__name__ for p in PACKAGES),
                          *(m.name for p in PACKAGES for m in pkgutil.walk_packages(p.__path__, f"{p.__name__}.")
                            if not m.name.endswith("__main__"))])


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
