"""The layout's promises, read from the source: `lineage` never imports `evaluator`, `opsguard` or `sandbox`;
`evaluator` never imports the service (`opsguard`) or `sandbox`; of `opsguard`, only the demo command imports
`sandbox`. Imports inside functions count too (they are imports all the same)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"lineage": {"evaluator", "opsguard", "sandbox"}, "evaluator": {"opsguard", "sandbox"},
             "opsguard": {"sandbox"}, "sandbox": {"lineage", "evaluator", "opsguard"}}
ALLOWED = {("opsguard/cli/demo_cmd.py", "sandbox")}   # the demo *is* the sandbox


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_only_what_its_layer_may(package):
    breaches = []
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        for name in imported_packages(path) & FORBIDDEN[package]:
            if (relative, name) not in ALLOWED:
                breaches.append(f"{relative} imports {name}")
    assert breaches == []


def test_the_scanner_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from opsguard.store import Store\n    import sandbox.pusher\n", encoding="utf-8")
    assert imported_packages(module) == {"opsguard", "sandbox"}
