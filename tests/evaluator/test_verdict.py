"""evaluator.verdict: worst status wins; the tip is one short line."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from types import MappingProxyType

import numpy as np

from evaluator.evaluate import evaluate
from evaluator.events import parse_event
from evaluator.policy import default_policy, policy_from_mapping
from evaluator.verdict import TIP_LIMIT, Checkpoint, Status, json_text, jsonable, make_tip, worst
from tests.evaluator.helpers import NOW


def test_worst_status_wins():
    assert worst([Status.OK, Status.FAIL, Status.WARN]) is Status.FAIL
    assert worst([]) is Status.OK


def test_tip_lists_the_worst_first_then_the_rest_while_they_fit():
    cps = [Checkpoint("a", Status.WARN, "a warns"), Checkpoint("b", Status.FAIL, "b fails"),
           Checkpoint("c", Status.OK, "c fine")]
    assert make_tip(Status.FAIL, cps) == "FAIL: b fails; a warns"


def test_tip_is_cut_with_a_count_of_what_was_left_out():
    cps = [Checkpoint(str(i), Status.WARN, f"warning number {i} " + "y" * 80) for i in range(6)]
    tip = make_tip(Status.WARN, cps)
    assert len(tip) <= TIP_LIMIT and tip.startswith("WARNING: warning number 0") and tip.endswith("more)")


def test_a_single_overlong_message_is_cut_with_an_ellipsis():
    tip = make_tip(Status.FAIL, [Checkpoint("a", Status.FAIL, "z" * 1000)])
    assert len(tip) <= TIP_LIMIT and tip.endswith("…")


def test_notes_come_first_and_newlines_never_reach_the_panel():
    tip = make_tip(Status.WARN, [Checkpoint("a", Status.WARN, "two\nlines")], notes=["assumed all"])
    assert tip == "WARNING: assumed all; two lines"


def test_stored_text_is_the_same_document_as_to_json_for_every_case():
    # the server stores `to_text` (orjson over raw facts); every other reader sees `to_json`
    from tests.evaluator.test_cases import CASES, build_graph, load_case

    for path in CASES:
        case = load_case(path)
        policy = policy_from_mapping(case["policy"], path.name) if "policy" in case else default_policy()
        now = datetime.fromisoformat(case["now"].replace("Z", "+00:00")) if "now" in case else NOW
        options = {int(k): v for k, v in case.get("options", {}).items()} or None
        verdict = evaluate(parse_event(case["event"]), build_graph(case["graph"]), policy, now=now, options=options)
        expected = json.loads(json.dumps(verdict.to_json("https://guard.example/")))
        expected["generation"] = 2
        assert json.loads(verdict.to_text("https://guard.example/", generation=2)) == expected, path.name


def test_json_text_encodes_what_jsonable_converts():
    values = {"proxy": MappingProxyType({3: "three", "d": date(2026, 1, 2)}), "set": {3, 1, 2},
              "floats": np.array([1.5, float("nan")]), "columns": np.arange(6).reshape(2, 3).T,
              "scalar": np.int64(7), "inf": float("inf"), "status": Status.WARN, "tuple": (1, "a"),
              "when": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), "other": Path("x/y"), "text": "ünïcode"}
    assert json.loads(json_text(values)) == json.loads(json.dumps(jsonable(values), ensure_ascii=False))


def test_json_text_falls_back_for_what_orjson_refuses():
    assert json.loads(json_text({"huge": 2**70})) == {"huge": 2**70}
