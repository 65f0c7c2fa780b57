"""Poison input gets a final answer (issue 21.4): every field bounded, numbers json cannot hold, lone
surrogates and ids past int64 are the events package's own parse errors, naming the field and what to fix;
with an envelope id and an extension-point code they make an `Unreadable` event, still answered."""

from __future__ import annotations

import json

import pytest

from evaluator.evaluate import evaluate
from evaluator.events import (LIMITS, EventParseError, InvalidValue, Unreadable, WrongType, parse_event)
from evaluator.verdict import Status
from tests.evaluator.helpers import NOW, backfill, chain, graph, op, sample

HUGE = "9" * 5000   # past Python's int max_str_digits (4,300): json.loads itself raises ValueError on it


def assert_clean(error: EventParseError) -> None:
    """One line of valid UTF-8, short enough for a log line or a 4xx body."""
    text = str(error)
    text.encode("utf-8")
    assert "\n" not in text and len(text) < 400, text


def envelope(data: dict, **attrs) -> dict:
    message = sample("freeze-node")
    message["data"] = data
    message.update(attrs)
    return message


def test_a_message_id_of_70000_characters_is_refused_as_malformed():
    with pytest.raises(InvalidValue, match=r"^id: 70,000 characters; a message id has at most 256") as info:
        parse_event(json.dumps(envelope(op("freeze-node", 1), id="x" * 70_000)))
    assert_clean(info.value)
    data = op("freeze-node", 1, messageId="m" * 257)
    with pytest.raises(InvalidValue, match=r"^data.messageId: 257 characters"):
        parse_event(data, require_id=True)


def test_a_message_id_of_256_printable_characters_is_accepted_control_characters_are_not():
    assert parse_event(envelope(op("freeze-node", 1), id="a" * LIMITS["message_id"])).message_id == "a" * 256
    with pytest.raises(InvalidValue, match="^id: .*control characters or invalid Unicode"):
        parse_event(envelope(op("freeze-node", 1), id="abc\ndef"))


@pytest.mark.parametrize("text, field", [
    ('{"eventCode": "freeze-node", "projectId": 1, "nodeIds": [%s]}' % HUGE, r"data.nodeIds\[0\]"),
    ('{"eventCode": "freeze-node", "projectId": %s, "nodeIds": [1]}' % HUGE, "data.projectId"),
    ('{"eventCode": "freeze-node", "projectId": 1, "nodeIds": [1], "operator": %s}' % HUGE, "data.operator"),
])
def test_an_integer_past_4300_digits_is_a_clean_error_naming_its_field(text, field):
    with pytest.raises(EventParseError, match=f"^{field}: ") as info:
        parse_event(text)
    assert "5,000-digit number" in str(info.value)
    assert_clean(info.value)


def test_an_integer_past_4300_digits_inside_the_periods_string_is_a_clean_error():
    data = backfill(1, [("2026-11-01", "2026-11-02")])
    data["multipleTimePeriods"] = '[{"bizBeginTime": %s, "bizEndTime": "2026-11-02"}]' % HUGE
    with pytest.raises(WrongType, match=r"multipleTimePeriods\[0\].bizBeginTime: expected date string") as info:
        parse_event(json.dumps(data))
    assert "5,000-digit number" in str(info.value)


def test_node_ids_past_int64_are_refused_int64_max_is_kept():
    assert parse_event(op("freeze-node", 2**63 - 1)).node_ids == (2**63 - 1,)
    for bad in (2**63, 10**40, "9" * 25):
        with pytest.raises(InvalidValue, match=r"^data.nodeIds\[0\]: .*not a DataWorks id"):
            parse_event({**op("freeze-node"), "nodeIds": [bad]})


def test_a_lone_surrogate_escape_is_a_clean_parse_error():
    with pytest.raises(InvalidValue, match="^id: ") as info:
        parse_event(b'{"id":"\\udfff", "specversion": "1.0", "data": {"eventCode": "freeze-node"}}')
    assert_clean(info.value)
    with pytest.raises(InvalidValue, match="^operator: holds a lone UTF-16 surrogate") as info:
        parse_event('{"eventCode": "freeze-node", "projectId": 1, "nodeIds": [1], "operator": "a\\ud800"}')
    assert_clean(info.value)
    # a surrogate pair is a real character, not poison
    assert parse_event('{"eventCode": "freeze-node", "projectId": 1, "nodeIds": [1], "operator": "\\ud83d\\ude00"}'
                       ).operator == "\U0001f600"


def test_a_lone_surrogate_in_the_payload_of_an_identified_event_is_answered_not_dropped():
    text = json.dumps(envelope({**op("freeze-node", 1), "operator": "PLACEHOLDER"})).replace("PLACEHOLDER", "\\udfff")
    with pytest.raises(InvalidValue) as info:
        parse_event(text)
    event = info.value.unreadable
    assert isinstance(event, Unreadable) and event.reason.startswith("data.operator: holds a lone UTF-16 surrogate")
    verdict = evaluate(event, graph(*chain(1)), now=NOW)
    assert verdict.result is Status.FAIL and verdict.to_text().encode("utf-8")   # storable, postable


@pytest.mark.parametrize("field, limit_key", [("operator", "operator"), ("extensionBizId", "extension_biz_id")])
def test_string_fields_are_bounded(field, limit_key):
    limit = LIMITS[limit_key]
    assert getattr(parse_event({**op("freeze-node", 1), field: "u" * limit}), "operator" if field == "operator"
                   else "extension_biz_id") == "u" * limit
    with pytest.raises(InvalidValue, match=f"^data.{field}: {limit + 1:,} characters; at most {limit:,}"):
        parse_event({**op("freeze-node", 1), field: "u" * (limit + 1)})


def test_backfill_fields_and_lists_are_bounded():
    too_many_ids = list(range(1, LIMITS["node_ids"] + 2))
    for change, text in [({"name": "n" * 513}, "data.name: 513 characters"),
                         ({"order": "ascending-ascending"}, "data.order: 19 characters"),
                         ({"includeNodeIds": too_many_ids}, "data.includeNodeIds: 100,001 node ids; at most 100,000"),
                         ({"multipleTimePeriods": json.dumps([{"bizBeginTime": "2026-01-01",
                                                               "bizEndTime": "2026-01-01"}] * 1001)},
                          "data.multipleTimePeriods: 1,001 periods; at most 1,000"),
                         ({"multipleTimePeriods": " " * 100_001}, "data.multipleTimePeriods: 100,001 characters"),
                         ({"parallelGroup": 2**40}, "data.parallelGroup: .* out of range")]:
        with pytest.raises(InvalidValue, match=f"^{text}"):
            parse_event(backfill(1, [("2026-11-01", "2026-11-01")], **change))


def test_an_oversized_event_code_is_refused_not_recorded():
    with pytest.raises(InvalidValue, match=r"^data.eventCode: 65 characters: not an event code"):
        parse_event({"eventCode": "x" * 65, "projectId": 1})


def test_envelope_attributes_that_are_not_bounded_strings_are_not_recorded_nor_a_refusal():
    event = parse_event(envelope(op("freeze-node", 1), subject="s" * 5000, time=12))
    assert event.node_ids == (1,) and event.envelope.subject is None and event.envelope.time is None
