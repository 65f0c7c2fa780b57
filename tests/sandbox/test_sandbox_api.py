"""The sandbox's public surface: pinned names, runnable docstring examples, no imports of our other packages."""

from __future__ import annotations

import ast
import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import sandbox

MODULES = sorted(f"sandbox.{m.name}" for m in pkgutil.iter_modules(sandbox.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


@pytest.mark.parametrize("name", MODULES)
def test_sandbox_imports_neither_lineage_nor_evaluator(name):
    tree = ast.parse(Path(importlib.import_module(name).__file__).read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not {m for m in imported if m.split(".")[0] in ("lineage", "evaluator")}


def test_webhook_auth_does_not_import_the_sandbox():
    import opsguard.webhook.signature as module

    assert "sandbox" not in Path(module.__file__).read_text()


def test_public_names_change_only_on_purpose():
    from sandbox import emulator, eventbridge_keys, fixture, pusher, workspace

    assert set(workspace.__all__) == {"MIN_NODES", "SAMPLE_NODE_IDS", "SAMPLE_PROJECT_ID", "WorkspaceFixtureError",
                                      "generate_workspace", "load_workspace", "main", "write_workspace"}
    assert set(emulator.__all__) == {"API_VERSION", "Emulator", "main"}
    assert set(fixture.__all__) == {"WorkspaceFixtureError", "load_workspace", "validate_workspace"}
    assert set(pusher.__all__) == {"DEFAULT_PUBLIC_KEY_URL", "SCHEMES", "V2_FORMS", "PushResult",
                                   "generate_test_keypair", "main", "push", "sign_push", "string_to_sign"}
    assert set(eventbridge_keys.__all__) == {"EventBridgeKeys", "SigningKey", "make_signing_pair"}
