"""Every docstring example in `sql`, `lineage`, `evaluator` and `sandbox` runs (examples cannot rot)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import evaluator
import lineage
import sandbox


def _with_examples(names: list[str]) -> list[str]:
    """The modules that have docstring examples (a module without any would pass without testing anything)."""
    finder = doctest.DocTestFinder()
    return [name for name in names if any(test.examples for test in finder.find(importlib.import_module(name)))]


MODULES = _with_examples(["sql", *(m.name for package in (lineage, evaluator, sandbox)
                                   for m in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
                                   if not m.name.endswith("__main__"))])


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
