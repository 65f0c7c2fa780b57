"""Every blocking event gets an answer (issue 19.4): a push naming its message id and an extension-point
code is answered with the policy's on_error also when its payload cannot be read; pushes without a
message id are refused saying what to fix (issue 23.3)."""

from __future__ import annotations

import json

import pytest

from evaluator.evaluate import evaluate, evaluate_message
from evaluator.events import (EventCode, EventIdentity, EventParseError, Ignored, MissingField, NodeOperation,
                              Unreadable, WrongType, parse_event)
from evaluator.policy import parse_policy
from evaluator.unjudged import verdict_for_error, verdict_for_timeout
from evaluator.verdict import EMPTY_IMPACT, Status
from tests.evaluator.helpers import NOW, PROJECT, chain, documented_freeze, graph, op, sample

FORWARD = r"no envelope `id` to answer with: is the EventBridge target forwarding only `\$\.data`\? deliver the complete event"


def unreadable(message, **kwargs) -> Unreadable:
    """The `Unreadable` event a parse error carries (the test fails when there is none)."""
    with pytest.raises(EventParseError) as info:
        parse_event(message, **kwargs)
    assert isinstance(info.value.unreadable, Unreadable), info.value
    return info.value.unreadable


@pytest.mark.parametrize("change, reason", [
    ({"nodeIds": None}, "data.nodeIds: required field is missing"),
    ({"nodeIds": "700000000101"}, 'data.nodeIds: expected array of node ids, got string "700000000101"'),
    ({"projectId": [1]}, "data.projectId: expected integer id, got array [1]"),
])
def test_a_documented_freeze_with_an_unreadable_payload_is_answered_with_on_error(change, reason):
    message = documented_freeze(**change)
    event = unreadable(json.dumps(message).encode(), require_id=True)
    assert event.code is EventCode.FREEZE_NODE and str(event.error) == reason
    assert (event.message_id, event.reason) == (message["id"], reason)
    verdict = evaluate(event, graph(*chain(2)), now=NOW)
    assert (verdict.result, verdict.wire_result, verdict.message_id) == (Status.FAIL, "FAIL", message["id"])
    assert verdict.tip == f"FAIL: opsguard could not judge this operation: the event cannot be read: {reason}"
    assert verdict.event_code == "freeze-node" and verdict.checkpoints[0].name == "evaluation"


def test_a_backfill_without_its_periods_is_answered_and_keeps_its_workspace():
    message = sample("backfill-data")
    del message["data"]["multipleTimePeriods"]
    event = unreadable(message)
    assert event.project_id == PROJECT and event.operator == "203100000000042"
    assert event.reason == "data.multipleTimePeriods: required field is missing"
    lenient = parse_policy('on_error = "WARN"')
    verdict = evaluate(event, graph(*chain(1)), lenient, now=NOW)
    assert (verdict.result, verdict.wire_result) == (Status.WARN, "OK")   # WARN goes out per warn_as


def test_evaluate_message_answers_an_identified_unreadable_event_and_raises_for_the_rest():
    verdict = evaluate_message(json.dumps(documented_freeze(nodeIds=None)), graph(*chain(2)), now=NOW)
    assert verdict.result is Status.FAIL and "data.nodeIds" in verdict.tip
    with pytest.raises(MissingField, match="^id: "):
        evaluate_message(json.dumps({"data": op("freeze-node", 1)}), graph(*chain(2)), now=NOW)


def test_the_unreadable_verdict_has_the_shape_of_every_verdict():
    good = evaluate(parse_event(sample("freeze-node")), graph(*chain(2)), now=NOW).to_json()
    bad = evaluate(unreadable(documented_freeze(nodeIds=None)), graph(*chain(2)), now=NOW).to_json()
    assert bad.keys() == good.keys() and set(bad["impact"]) == set(EMPTY_IMPACT) <= set(good["impact"])
    assert bad["backfill"].keys() == good["backfill"].keys()
    assert [c.keys() for c in bad["checkpoints"]] == [good["checkpoints"][0].keys()]


def test_data_that_is_not_an_object_is_answered_when_the_type_names_the_code():
    message = sample("undeploy-node")
    message["data"] = "not json"
    event = unreadable(message)
    assert event.code is EventCode.UNDEPLOY_NODE and event.project_id is None
    assert event.reason == 'data: expected JSON object, got string "not json"'


def test_only_extension_points_become_unreadable_regular_events_still_raise():
    message = sample("node-change-updated")
    del message["data"]["nodeId"]
    with pytest.raises(MissingField, match="data.nodeId") as info:
        parse_event(message)
    assert info.value.unreadable is None
    bare = op("freeze-node")   # no message id: nothing to answer with
    with pytest.raises(EventParseError, match="data.nodeIds") as info:
        parse_event(bare)
    assert info.value.unreadable is None


def test_data_without_an_envelope_says_there_is_no_message_id_not_that_eventcode_is_missing():
    # issue 23.3: {"data": {...eventCode...}} used to report data.eventCode missing although it is there
    with pytest.raises(MissingField, match="^id: " + FORWARD) as info:
        parse_event({"data": op("freeze-node", 1)})
    assert info.value.unreadable is None


def test_a_bare_data_push_is_refused_saying_how_to_fix_the_target_but_offline_it_is_judged():
    with pytest.raises(MissingField, match="^id: " + FORWARD):
        parse_event(json.dumps(op("freeze-node", 1)), require_id=True)
    with pytest.raises(MissingField, match="^id: " + FORWARD):   # even when the payload is broken too
        parse_event(json.dumps(op("freeze-node")), require_id=True)
    assert isinstance(parse_event(op("freeze-node", 1)), NodeOperation)
    assert parse_event(op("freeze-node", 1, messageId="m-9"), require_id=True).message_id == "m-9"


def test_unknown_codes_are_ignored_and_recorded_with_their_id():
    message = sample("freeze-node")
    message["data"]["eventCode"] = "freeze-instance"
    event = parse_event(message, require_id=True)
    assert isinstance(event, Ignored) and event.message_id == message["id"] and event.code == "freeze-instance"


def test_without_a_readable_code_nothing_can_be_answered():
    message = sample("freeze-node")
    del message["data"]["eventCode"]
    message["type"] = "dataworks:Something:Else"
    with pytest.raises(MissingField, match='data.eventCode: required field is missing .*"dataworks:Something:Else"'):
        parse_event(message)
    message["data"]["eventCode"] = 7
    with pytest.raises(WrongType, match="^data.eventCode: expected string"):
        parse_event(message)


def test_verdict_for_error_from_a_stored_identity_and_for_a_timeout():
    identity = EventIdentity("m-1", "backfill-data", PROJECT, operator="u1")
    verdict = verdict_for_error(identity, parse_policy(f"[projects.{PROJECT}]\non_error = \"WARN\"\n"),
                                "stored message cannot be read again:\nbad")
    assert (verdict.result, verdict.wire_result, verdict.operator) == (Status.WARN, "OK", "u1")
    assert verdict.tip == "WARNING: opsguard could not judge this operation: stored message cannot be read again: bad"
    late = verdict_for_timeout(parse_event(sample("freeze-node")), parse_policy("judge_budget_seconds = 2"),
                               elapsed_seconds=3.2, graph=graph(*chain(1)), now=NOW)
    assert (late.result, late.wire_result) == (Status.FAIL, "FAIL")
    assert late.checkpoint("evaluation").facts == {"timed_out": True, "budget_seconds": 2.0, "elapsed_seconds": 3.2}
    assert late.message_id == sample("freeze-node")["id"] and late.snapshot.id == "test"
    json.dumps(late.to_json())
