"""The docstring examples of the service modules run (examples cannot rot)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["evaluator.metrics", "evaluator.server_config", "evaluator.subdag_svg", "evaluator.webhook",
           "evaluator.overlay", "evaluator.state", "evaluator.state_writer", "evaluator.reporter"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
