"""evaluator.events: every event code from the samples and by hand; every documented error."""

from __future__ import annotations

import json
from datetime import date

import pytest

from evaluator.events import (Backfill, EventCode, EventParseError, Ignored, InvalidValue, MalformedEvent,
                              MissingField, NodeChanged, NodeOperation, WrongType, parse_event)
from tests.evaluator.helpers import backfill, op, sample


@pytest.mark.parametrize("name, code", [("freeze-node", EventCode.FREEZE_NODE),
                                        ("unfreeze-node", EventCode.UNFREEZE_NODE),
                                        ("undeploy-node", EventCode.UNDEPLOY_NODE)])
def test_node_operation_samples_parse_to_node_operations(name, code):
    message = sample(name)
    event = parse_event(json.dumps(message).encode())
    assert isinstance(event, NodeOperation) and event.code is code
    assert event.message_id == message["id"] and event.data_message_id is None
    assert event.node_ids == tuple(message["data"]["nodeIds"])
    assert (event.project_id, event.tenant_id, event.operator) == (215001, 4100000000001, "203100000000042")
    assert event.extension_biz_id.startswith("ebz-")
    assert event.envelope.type.startswith("dataworks:NodeChange:")
    assert event.envelope.extra["aliyunregionid"] == "cn-shanghai"
    assert event.code.is_extension_point


def test_backfill_sample_parses_periods_from_their_json_string():
    event = parse_event(sample("backfill-data"))
    assert isinstance(event, Backfill)
    assert [(p.begin, p.end) for p in event.periods] == [(date(2026, 10, 1), date(2026, 10, 31)),
                                                         (date(2026, 11, 10), date(2026, 11, 12))]
    assert event.root_node_id == 700000000101 and event.root_node_project_id == 215001
    assert event.include_node_ids == (700000000101, 700000000205, 700000000206)
    assert event.exclude_node_ids == (700000000206,)
    assert (event.is_parallel, event.parallel_group, event.order) == (True, 4, "asc")
    assert event.start_future_instance_immediately is False and event.use_multiple_time_periods is True
    assert event.name == "P_dws_trade_daily_20261120_114012"
    request = event.to_request()
    assert request.include_ids == event.include_node_ids and request.exclude_ids == (700000000206,)


def test_node_change_sample_carries_the_node_record():
    event = parse_event(sample("node-change-updated"))
    assert isinstance(event, NodeChanged) and event.code is EventCode.NODE_CHANGE_UPDATED
    assert event.node_id == 700000000101 and not event.code.is_extension_point
    row = event.node_row()
    assert row["node_name"] == "ods_trade_order_di" and row["scheduler_type"] == "PAUSE"
    assert row["baseline_id"] == 90001 and row["priority"] == 7


@pytest.mark.parametrize("code", ["node-change-created", "node-change-deleted"])
def test_other_node_change_codes(code):
    event = parse_event({"eventCode": code, "nodeId": "7", "projectId": 1})
    assert isinstance(event, NodeChanged) and event.node_id == 7 and event.code.value == code


def test_bare_data_object_is_accepted_without_an_envelope():
    event = parse_event(op("freeze-node", 1, 2))
    assert event.envelope is None and event.message_id is None and event.node_ids == (1, 2)


def test_data_message_id_is_a_fallback_and_both_are_recorded():
    message = sample("freeze-node")
    message["data"]["messageId"] = "inner-id"
    event = parse_event(message)
    assert (event.message_id, event.data_message_id) == (message["id"], "inner-id")
    del message["id"]
    event = parse_event(message)
    assert (event.message_id, event.data_message_id) == ("inner-id", "inner-id")


def test_envelope_without_any_message_id_is_missing_id_saying_what_to_fix():
    message = sample("freeze-node")
    del message["id"]
    with pytest.raises(MissingField, match=r"^id: no envelope `id` to answer with: .*deliver the complete event"):
        parse_event(message)


def test_event_code_falls_back_to_the_eventbridge_type():
    message = sample("undeploy-node")
    del message["data"]["eventCode"]
    assert parse_event(message).code is EventCode.UNDEPLOY_NODE


def test_unknown_fields_are_kept():
    message = sample("backfill-data")
    message["data"]["whiteList"] = [1, 2]
    message["data"]["bizBeginTime"] = "08:00:00"
    message["futureattr"] = "x"
    event = parse_event(message)
    assert event.extra == {"whiteList": [1, 2], "bizBeginTime": "08:00:00"}
    assert event.envelope.extra["futureattr"] == "x"
    assert event.raw["whiteList"] == [1, 2]


def test_numeric_strings_are_accepted_for_ids():
    event = parse_event({"eventCode": "freeze-node", "projectId": "215001", "tenantId": "4",
                         "nodeIds": ["700000000101", 7]})
    assert event.project_id == 215001 and event.node_ids == (700000000101, 7)


def test_duplicate_node_ids_are_counted_once():
    assert parse_event(op("freeze-node", 5, 5, 6)).node_ids == (5, 6)


@pytest.mark.parametrize("code, reason", [("pre-freeze-instance", "instance operation"),
                                          ("freeze-instance", "instance operation"),
                                          ("deploy-file", "unknown eventCode")])
def test_unhandled_codes_are_ignored_with_a_reason(code, reason):
    event = parse_event({"eventCode": code, "projectId": 1, "whatever": [1]})
    assert isinstance(event, Ignored) and reason in event.reason and event.code == code


def test_backfill_without_include_or_exclude():
    event = parse_event(backfill(1, [("2026-11-01", "2026-11-03")]))
    assert event.include_node_ids is None and event.exclude_node_ids == ()
    assert event.to_request().include_ids is None


def test_backfill_with_empty_include_means_assume_all_downstream():
    event = parse_event(backfill(1, [("2026-11-01", "2026-11-01")], include=[]))
    assert event.include_node_ids == () and event.to_request().include_ids is None


def test_overlapping_periods_are_kept_as_sent():
    event = parse_event(backfill(1, [("2026-11-01", "2026-11-05"), ("2026-11-03", "2026-11-04")]))
    assert len(event.periods) == 2


def test_periods_may_come_as_an_array_and_dates_with_a_time():
    data = backfill(1, [])
    data["multipleTimePeriods"] = [{"bizBeginTime": "2026-11-01 00:00:00", "bizEndTime": "2026-11-02"}]
    assert parse_event(data).periods[0].begin == date(2026, 11, 1)


def test_project_id_of_a_backfill_falls_back_to_the_root_project():
    data = backfill(1, [("2026-11-01", "2026-11-01")])
    del data["projectId"]
    assert parse_event(data).project_id == 215001


def test_booleans_may_be_strings():
    event = parse_event(backfill(1, [("2026-11-01", "2026-11-01")], isParallel="true",
                                 startFutureInstanceImmediately="False"))
    assert event.is_parallel is True and event.start_future_instance_immediately is False


@pytest.mark.parametrize("message, error, text", [
    (b"{not json", MalformedEvent, "not valid JSON"),
    (b"\xff\xfe", MalformedEvent, "not UTF-8"),
    ("[1, 2]", MalformedEvent, "must be a JSON object, got array"),
    ("42", MalformedEvent, "got number"),
    ({"projectId": 1, "nodeIds": [1]}, MissingField, "data.eventCode"),
    ({"eventCode": 7}, WrongType, "data.eventCode: expected string, got number 7"),
    ({"eventCode": "freeze-node", "nodeIds": [1]}, MissingField, "data.projectId"),
    ({"eventCode": "freeze-node", "projectId": 1}, MissingField, "data.nodeIds"),
    ({"eventCode": "freeze-node", "projectId": 1, "nodeIds": []}, InvalidValue, "data.nodeIds: empty list"),
    ({"eventCode": "freeze-node", "projectId": "abc", "nodeIds": [1]}, WrongType,
     'data.projectId: expected integer id, got string "abc"'),
    ({"eventCode": "freeze-node", "projectId": 1, "nodeIds": [1.5]}, WrongType, r"data.nodeIds\[0\]"),
    ({"eventCode": "freeze-node", "projectId": 1, "nodeIds": [True]}, WrongType, "got boolean"),
    ({"eventCode": "freeze-node", "projectId": 1, "nodeIds": [-3]}, InvalidValue, r"data.nodeIds\[0\]"),
    ({"eventCode": "freeze-node", "projectId": 1, "nodeIds": [1], "operator": ["x"]}, WrongType,
     "data.operator"),
    ({"eventCode": "node-change-updated", "projectId": 1}, MissingField, "data.nodeId"),
    ({"id": "m", "type": "t", "data": [1]}, WrongType, "data: expected JSON object, got array"),
    ({"id": "m", "specversion": "1.0", "data": None}, MissingField, "data"),
    ({"id": 5, "specversion": "1.0", "data": {"eventCode": "x"}}, WrongType, "id: expected string"),
])
def test_malformed_messages_raise_specific_errors_naming_the_field(message, error, text):
    with pytest.raises(error, match=text):
        parse_event(message)


@pytest.mark.parametrize("change, error, text", [
    ({"multipleTimePeriods": None}, MissingField, "data.multipleTimePeriods"),
    ({"multipleTimePeriods": "[{"}, InvalidValue, "not a JSON array"),
    ({"multipleTimePeriods": "[]"}, InvalidValue, "no bizdate period"),
    ({"multipleTimePeriods": "{}"}, WrongType, "data.multipleTimePeriods"),
    ({"multipleTimePeriods": '[{"bizBeginTime": "2026-11-01"}]'}, MissingField, r"\[0\].bizEndTime"),
    ({"multipleTimePeriods": '[{"bizBeginTime": "2026-13-01", "bizEndTime": "2026-11-01"}]'}, InvalidValue,
     r"\[0\].bizBeginTime: not a calendar date"),
    ({"multipleTimePeriods": '[{"bizBeginTime": "20261101", "bizEndTime": "2026-11-01"}]'}, InvalidValue,
     "expected a date YYYY-MM-DD"),
    ({"multipleTimePeriods": '[{"bizBeginTime": 20261101, "bizEndTime": "2026-11-01"}]'}, WrongType,
     "bizBeginTime: expected date string"),
    ({"multipleTimePeriods": '[{"bizBeginTime": "2026-11-05", "bizEndTime": "2026-11-01"}]'}, InvalidValue,
     r"multipleTimePeriods\[0\]: bizBeginTime 2026-11-05 is after bizEndTime 2026-11-01"),
    ({"rootNodeId": None}, MissingField, "data.rootNodeId"),
    ({"includeNodeIds": "1,2"}, WrongType, "data.includeNodeIds: expected array"),
    ({"parallelGroup": 0}, InvalidValue, "parallelGroup: must be at least 1"),
    ({"parallelGroup": "many"}, WrongType, "parallelGroup"),
    ({"isParallel": 1}, WrongType, "data.isParallel: expected boolean"),
])
def test_bad_backfills_raise_specific_errors(change, error, text):
    data = backfill(1, [("2026-11-01", "2026-11-02")], include=[1])
    data.update(change)
    with pytest.raises(error, match=text):
        parse_event(data)


def test_every_parse_error_is_a_value_error_with_field_and_reason():
    with pytest.raises(EventParseError) as info:
        parse_event({"eventCode": "freeze-node", "projectId": 1})
    assert isinstance(info.value, ValueError)
    assert (info.value.field, info.value.reason) == ("data.nodeIds", "required field is missing")


def test_events_are_frozen_and_hashable():
    event = parse_event(sample("freeze-node"))
    with pytest.raises(AttributeError):
        event.node_ids = (1,)  # type: ignore[misc]
    assert hash(event) == hash(parse_event(sample("freeze-node")))


def test_ignored_messages_are_never_rejected_for_fields_opsguard_does_not_read():
    event = parse_event({"eventCode": "freeze-instance", "projectId": "not-a-number"})
    assert isinstance(event, Ignored) and event.project_id is None
