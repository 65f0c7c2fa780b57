"""Behaviour cases as data: every `tests/cases/*.json` is {graph, policy, options, event, expected}.

A case's graph nodes get the defaults of `tests.evaluator.helpers.node` (NORMAL, daily, project 215001, owned
by the operator); instances take `minutes` instead of epoch times. `expected` may hold `result`,
`wire_result`, `ignored`, `tip_startswith`, `tip_contains`, `impact`/`backfill` (a subset of keys),
and `checkpoints` {name: {status, message_contains, facts (a subset)}}. Adding a case is a text edit.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from evaluator.evaluate import evaluate
from evaluator.events import parse_event
from evaluator.policy import default_policy, policy_from_mapping
from evaluator.verdict import TIP_LIMIT, jsonable
from tests.evaluator.helpers import NOW, SYNCED, graph, node, runs

CASES = sorted((Path(__file__).parents[1] / "cases").glob("*.json"))


def load_case(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def build_graph(spec: dict[str, Any]):
    instances = [row for inst in spec.get("instances", ())
                 for row in runs(inst["node_id"], [date.fromisoformat(inst["bizdate"])],
                                 status=inst.get("status", "SUCCESS"), minutes=inst.get("minutes", 10))]
    baselines = {int(b): ids for b, ids in spec.get("baselines", {}).items()} or None
    synced = datetime.fromisoformat(spec["synced_at"].replace("Z", "+00:00")) if "synced_at" in spec else SYNCED
    return graph([node(**n) for n in spec["nodes"]], [tuple(e) for e in spec.get("edges", ())],
                 instances=instances, baselines=baselines, synced_at=synced)


def assert_subset(actual: Any, expected: Any, where: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}: no key {key!r} in {sorted(actual)}"
            assert_subset(actual[key], value, f"{where}.{key}")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    case = load_case(path)
    policy = policy_from_mapping(case["policy"], path.name) if "policy" in case else default_policy()
    now = datetime.fromisoformat(case["now"].replace("Z", "+00:00")) if "now" in case else NOW
    options = {int(k): v for k, v in case.get("options", {}).items()} or None
    verdict = evaluate(parse_event(case["event"]), build_graph(case["graph"]), policy, now=now, options=options)
    doc = verdict.to_json()
    expected = case["expected"]
    for key in ("result", "wire_result", "ignored"):
        if key in expected:
            assert doc[key] == expected[key], f"{key}: {doc[key]!r} (tip: {doc['tip']})"
    assert len(doc["tip"]) <= TIP_LIMIT
    assert doc["tip"].startswith(expected.get("tip_startswith", "")), doc["tip"]
    for text in expected.get("tip_contains", ()):
        assert text in doc["tip"], doc["tip"]
    for key in ("impact", "backfill"):
        assert_subset(doc[key], expected.get(key, {}), key)
    checkpoints = {c["name"]: c for c in doc["checkpoints"]}
    for name, want in expected.get("checkpoints", {}).items():
        assert name in checkpoints, f"no checkpoint {name}; got {sorted(checkpoints)}"
        got = checkpoints[name]
        if "status" in want:
            assert got["status"] == want["status"], f"{name}: {got['status']} ({got['message']})"
        assert want.get("message_contains", "") in got["message"], got["message"]
        assert_subset(got["facts"], jsonable(want.get("facts", {})), f"{name}.facts")


def test_every_case_has_a_description_and_an_expected_result():
    assert CASES
    for path in CASES:
        case = load_case(path)
        assert case.get("description") and "result" in case["expected"], path.name
