"""`parse_event`: message (dict, JSON text or bytes) → envelope + data → a typed event."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from evaluator.events import _fields as f
from evaluator.events._errors import EventParseError, InvalidValue, MalformedEvent, MissingField, WrongType, json_type
from evaluator.events._model import (EMPTY, Backfill, Envelope, Event, EventCode, Ignored, NodeChanged,
                                     NodeOperation)

_NODE_OPERATIONS = frozenset({EventCode.FREEZE_NODE, EventCode.UNFREEZE_NODE, EventCode.UNDEPLOY_NODE})
_TYPE_TO_CODE = {
    "dataworks:NodeChange:FreezeNode": EventCode.FREEZE_NODE,
    "dataworks:NodeChange:UnFreezeNode": EventCode.UNFREEZE_NODE,
    "dataworks:NodeChange:UndeployNode": EventCode.UNDEPLOY_NODE,
    "dataworks:BackfillDataOperate:BackfillData": EventCode.BACKFILL_DATA,
    "dataworks:NodeChange:NodeChangeCreated": EventCode.NODE_CHANGE_CREATED,
    "dataworks:NodeChange:NodeChangeUpdated": EventCode.NODE_CHANGE_UPDATED,
    "dataworks:NodeChange:NodeChangeDeleted": EventCode.NODE_CHANGE_DELETED,
}
_ENVELOPE_FIELDS = ("id", "source", "specversion", "type", "datacontenttype", "subject", "time")
_COMMON_DATA_FIELDS = ("eventCode", "operator", "projectId", "tenantId", "extensionBizId", "messageId")
_BACKFILL_FIELDS = ("name", "rootNodeId", "rootNodeProjectId", "includeNodeIds", "excludeNodeIds",
                    "useMultipleTimePeriods", "multipleTimePeriods", "isParallel", "parallelGroup", "order",
                    "startFutureInstanceImmediately")


def parse_event(message: Mapping[str, Any] | bytes | bytearray | str) -> Event:
    """A typed event from a CloudEvents envelope or a bare `data` object (dict, JSON text or bytes).

    >>> e = parse_event('{"eventCode": "freeze-node", "projectId": 1, "nodeIds": [7, "8"]}')
    >>> type(e).__name__, e.code.value, e.node_ids
    ('NodeOperation', 'freeze-node', (7, 8))
    >>> parse_event({"eventCode": "pre-freeze-instance", "projectId": 1}).reason
    'pre-freeze-instance is an instance operation; opsguard checks node operations only'
    >>> parse_event('{"eventCode": "freeze-node", "projectId": 1, "nodeIds": 7}')
    Traceback (most recent call last):
    ...
    evaluator.events.WrongType: data.nodeIds: expected array of node ids, got number 7
    """
    obj = _load(message)
    envelope, data, prefix = _split(obj)
    code_text = data.get("eventCode")
    if code_text is None and envelope is not None and envelope.type in _TYPE_TO_CODE:
        code_text = _TYPE_TO_CODE[envelope.type].value
    if code_text is None:
        raise MissingField(f"{prefix}eventCode")
    if not isinstance(code_text, str):
        raise WrongType(f"{prefix}eventCode", "string", code_text)
    data_message_id = f.optional_str(data, "messageId", prefix)
    message_id = envelope.id if envelope is not None and envelope.id else data_message_id
    try:
        code = EventCode(code_text)
    except ValueError:
        return Ignored(reason=_ignore_reason(code_text), code=code_text, message_id=message_id,
                       project_id=_lenient_project(data), envelope=envelope, raw=f.frozen(data))
    common = dict(code=code, message_id=message_id, data_message_id=data_message_id,
                  tenant_id=f.optional_id(data, "tenantId", prefix), operator=f.optional_str(data, "operator", prefix),
                  extension_biz_id=f.optional_str(data, "extensionBizId", prefix), envelope=envelope, raw=f.frozen(data))
    if code in _NODE_OPERATIONS:
        return NodeOperation(**common, project_id=f.required_id(data, "projectId", prefix),
                             node_ids=f.id_list(data, "nodeIds", prefix, required=True) or (),
                             extra=f.extra_fields(data, (*_COMMON_DATA_FIELDS, "nodeIds")))
    if code is EventCode.BACKFILL_DATA:
        return _backfill(data, prefix, common)
    node_id = f.required_id(data, "nodeId", prefix)
    project_id = f.optional_id(data, "projectId", prefix)
    if project_id is None:
        raise MissingField(f"{prefix}projectId")
    return NodeChanged(**common, project_id=project_id, node_id=node_id, extra=EMPTY)


def _backfill(data: Mapping[str, Any], prefix: str, common: dict[str, Any]) -> Backfill:
    root_project = f.optional_id(data, "rootNodeProjectId", prefix)
    project_id = f.optional_id(data, "projectId", prefix)
    if project_id is None:
        project_id = root_project
    if project_id is None:
        raise MissingField(f"{prefix}projectId")
    include = f.id_list(data, "includeNodeIds", prefix, required=False)
    group = f.optional_int(data, "parallelGroup", prefix)
    if group is not None and group < 1:
        raise InvalidValue(f"{prefix}parallelGroup", f"must be at least 1, got {group}")
    return Backfill(
        **common, project_id=project_id, root_node_id=f.required_id(data, "rootNodeId", prefix),
        root_node_project_id=root_project, periods=f.periods(data, prefix),
        include_node_ids=include, exclude_node_ids=f.id_list(data, "excludeNodeIds", prefix, required=False) or (),
        name=f.optional_str(data, "name", prefix),
        use_multiple_time_periods=f.flag(data, "useMultipleTimePeriods", prefix),
        is_parallel=f.flag(data, "isParallel", prefix), parallel_group=group or 1,
        order=f.optional_str(data, "order", prefix) or "asc",
        start_future_instance_immediately=f.flag(data, "startFutureInstanceImmediately", prefix),
        extra=f.extra_fields(data, (*_COMMON_DATA_FIELDS, *_BACKFILL_FIELDS)))


def _load(message: Mapping[str, Any] | bytes | bytearray | str) -> Mapping[str, Any]:
    if isinstance(message, Mapping):
        return message
    if isinstance(message, (bytes, bytearray)):
        try:
            message = bytes(message).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedEvent("", f"message is not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    if not isinstance(message, str):
        raise MalformedEvent("", f"expected a JSON object, bytes or text, got {type(message).__name__}")
    try:
        obj = json.loads(message)
    except json.JSONDecodeError as exc:
        raise MalformedEvent("", f"message is not valid JSON: {exc.msg} at line {exc.lineno} "
                                 f"column {exc.colno}") from None
    except RecursionError:
        raise MalformedEvent("", "message is not valid JSON: nested too deeply") from None
    if not isinstance(obj, Mapping):
        raise MalformedEvent("", f"message must be a JSON object, got {json_type(obj)}")
    return obj


def _split(obj: Mapping[str, Any]) -> tuple[Envelope | None, Mapping[str, Any], str]:
    """(envelope, data, field prefix). An envelope has `data` and at least one CloudEvents attribute."""
    if "data" not in obj or not any(k in obj for k in ("specversion", "type", "id", "source")):
        return None, obj, "data."
    data = obj["data"]
    if isinstance(data, str):  # a JSON payload delivered as text: read it, still strictly
        try:
            data = json.loads(data)
        except (json.JSONDecodeError, RecursionError):
            raise WrongType("data", "JSON object", obj["data"]) from None
    if data is None:
        raise MissingField("data")
    if not isinstance(data, Mapping):
        raise WrongType("data", "JSON object", data)
    attrs = {}
    for name in _ENVELOPE_FIELDS:
        value = obj.get(name)
        if value is not None and not isinstance(value, str):
            raise WrongType(name, "string", value)
        attrs[name] = value
    extra = {k: v for k, v in obj.items() if k not in _ENVELOPE_FIELDS and k != "data"}
    envelope = Envelope(**attrs, extra=f.frozen(extra))
    if not envelope.id and not data.get("messageId"):
        raise MissingField("id")
    return envelope, data, "data."


def _lenient_project(data: Mapping[str, Any]) -> int | None:
    """The workspace of a message opsguard ignores: recorded when readable, never a reason to reject it."""
    try:
        return f.optional_id(data, "projectId", "")
    except EventParseError:
        return None


def _ignore_reason(code: str) -> str:
    if "instance" in code:
        return f"{code} is an instance operation; opsguard checks node operations only"
    return f"unknown eventCode {code!r}; nothing to check"

