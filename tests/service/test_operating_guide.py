"""docs/operating.md stays true to the code: its RAM policy lists exactly the DataWorks actions opsguard calls, its
EventBridge rule exactly the event types opsguard reads, its metrics table every metric a running server
exposes, and its links lead to files that exist."""

from __future__ import annotations

import ast
import json
import re

from tests.service.conftest import REPO

GUIDE = REPO / "docs" / "operating.md"


def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def json_blocks(text: str) -> list[object]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, flags=re.S)]


def actions_called() -> set[str]:
    """Every action `lineage/client.py` passes to `DataWorksClient.call` (read from the source)."""
    tree = ast.parse((REPO / "lineage" / "client.py").read_text(encoding="utf-8"))
    return {node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "call"
            and node.args and isinstance(node.args[0], ast.Constant)}


def test_the_ram_policy_grants_exactly_the_actions_opsguard_calls():
    policies = [b for b in json_blocks(guide()) if isinstance(b, dict) and "Statement" in b]
    assert len(policies) == 1
    granted = [a for statement in policies[0]["Statement"] for a in statement["Action"]]
    assert len(granted) == len(set(granted))
    assert {a.removeprefix("dataworks:") for a in granted} == actions_called()
    assert {"ListProjects", "UpdateWorkbenchEventResult", "GetExtension"} <= actions_called()


def test_the_eventbridge_rule_selects_exactly_the_types_opsguard_reads():
    from evaluator.events._parse import _TYPE_TO_CODE

    patterns = [b for b in json_blocks(guide()) if isinstance(b, dict) and "type" in b]
    assert len(patterns) == 1 and patterns[0]["source"] == ["acs.dataworks"]
    assert sorted(patterns[0]["type"]) == sorted(_TYPE_TO_CODE)


def test_the_metrics_table_names_every_metric_a_running_server_exposes(start_server):
    server = start_server()
    text = server.pusher.client.get(f"{server.url}/metrics").text
    families = set(re.findall(r"^# TYPE (\S+) ", text, flags=re.M))
    created = {f for f in families if f.endswith("_created")}   # prometheus_client's start time of each series
    assert len(families - created) >= 15 and "`<name>_created`" in guide()
    documented = set(re.findall(r"^\| `(opsguard_[a-z_]+)`", guide(), flags=re.M))
    assert families - created == documented


def test_the_guides_links_lead_to_files_and_sections_that_exist():
    text = guide()
    anchors = {_anchor(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith("http"):
            continue
        path, _, anchor = target.partition("#")
        if not path:
            assert anchor in anchors, target
            continue
        resolved = (GUIDE.parent / path).resolve()
        assert resolved.exists(), target
        if anchor and resolved.suffix == ".md":
            heads = re.findall(r"^#+ (.+)$", resolved.read_text(encoding="utf-8"), flags=re.M)
            assert anchor in {_anchor(h) for h in heads}, target


def test_the_readme_links_the_guide_and_the_guide_the_annotated_config():
    assert "(docs/operating.md)" in (REPO / "README.md").read_text(encoding="utf-8")
    assert "(../opsguard/opsguard.example.toml)" in guide()
    assert "(design.md#several-replicas)" in guide()


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
