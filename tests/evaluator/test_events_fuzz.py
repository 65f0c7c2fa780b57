"""Fuzzing evaluator.events.parse_event: whatever comes in, only a valid event, `Ignored`, or one of the
documented `EventParseError` subclasses comes out."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluator.events import (Backfill, EventParseError, Ignored, InvalidValue, MalformedEvent, MissingField,
                              NodeChanged, NodeOperation, Unreadable, WrongType, parse_event)
from tests.evaluator.helpers import SAMPLE_NAMES, sample

DOCUMENTED = (MalformedEvent, MissingField, WrongType, InvalidValue)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
SAMPLE_TEXTS = [json.dumps(sample(name)) for name in SAMPLE_NAMES]


def _outcome(message):
    try:
        event = parse_event(message)
    except EventParseError as exc:
        assert isinstance(exc, DOCUMENTED), type(exc)
        assert str(exc) and "\n" not in str(exc)
        str(exc).encode("utf-8")
        found = exc.unreadable
        if found is not None:   # answered all the same: it names its id and an extension point
            assert isinstance(found, Unreadable) and found.error is exc
            assert found.message_id and found.code.is_extension_point and found.reason == " ".join(str(exc).split())
        return exc
    assert isinstance(event, (NodeOperation, Backfill, NodeChanged, Ignored))
    return event


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(data):
    _outcome(data)


@FUZZ
@given(JSON_VALUES)
def test_random_json_values(value):
    _outcome(json.dumps(value))
    if isinstance(value, dict):
        _outcome(value)


@FUZZ
@given(st.sampled_from(SAMPLE_TEXTS), st.data())
def test_truncated_samples(text, data):
    cut = data.draw(st.integers(min_value=0, max_value=len(text)))
    _outcome(text[:cut])
    _outcome(text[:cut].encode())


def _paths(obj, prefix=()):
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))


@FUZZ
@given(st.sampled_from(SAMPLE_NAMES), st.data(), JSON_VALUES)
def test_samples_with_one_field_replaced_or_removed(name, data, replacement):
    message = sample(name)
    path = data.draw(st.sampled_from(list(_paths(message))))
    parent = message
    for key in path[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    _outcome(message)
    _outcome(json.dumps(message))


@FUZZ
@given(st.sampled_from(SAMPLE_NAMES), st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=3))
def test_samples_with_extra_fields_still_parse(name, extra):
    message = sample(name)
    extra = {k: v for k, v in extra.items() if k not in message["data"]}
    message["data"].update(extra)
    event = _outcome(message)
    assert not isinstance(event, EventParseError)


@FUZZ
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_random_period_strings(periods):
    data = sample("backfill-data")["data"]
    data["multipleTimePeriods"] = periods
    _outcome(data)
