"""`parse_event`: message (dict, JSON text or bytes) → envelope + data → a typed event.

Two stages. First the event's *identity*: its message id (envelope `id`, else `data.messageId`) and its
code (`data.eventCode`, else the envelope `type`). Without both nothing can be answered. Then the
payload. A failure at either stage raises; when the identity was read and names an extension point
(DataWorks holds the operation until answered), the error carries `unreadable`, the `Unreadable` event
to answer with the policy's `on_error`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from evaluator.events import _fields as f
from evaluator.events._errors import (EventParseError, InvalidValue, MalformedEvent, MissingField, WrongType,
                                      json_type, short)
from evaluator.events._model import (EMPTY, Backfill, Envelope, Event, EventCode, Ignored, NodeChanged,
                                     NodeOperation, Unreadable)

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
_CLOUDEVENTS_MARKS = ("specversion", "type", "id", "source")
_COMMON_DATA_FIELDS = ("eventCode", "operator", "projectId", "tenantId", "extensionBizId", "messageId")
_BACKFILL_FIELDS = ("name", "rootNodeId", "rootNodeProjectId", "includeNodeIds", "excludeNodeIds",
                    "useMultipleTimePeriods", "multipleTimePeriods", "isParallel", "parallelGroup", "order",
                    "startFutureInstanceImmediately")
NO_MESSAGE_ID = ("no envelope `id` to answer with: is the EventBridge target forwarding only `$.data`? "
                 "deliver the complete event")
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_RAW_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_event(message: Mapping[str, Any] | bytes | bytearray | str, *, require_id: bool = False) -> Event:
    """A typed event from a CloudEvents envelope or a bare `data` object (dict, JSON text or bytes).

    `require_id`: the message is a push to be answered, so one without a message id (a bare `data`
    object) is refused saying how to fix the EventBridge target. Offline (`opsguard check`) a bare
    `data` object is judged without one. An error with `unreadable` set must still be answered: pass
    that event to `evaluate` (it gets the `on_error` verdict).

    >>> e = parse_event('{"eventCode": "freeze-node", "projectId": 1, "nodeIds": [7, "8"]}')
    >>> type(e).__name__, e.code.value, e.node_ids
    ('NodeOperation', 'freeze-node', (7, 8))
    >>> parse_event({"eventCode": "pre-freeze-instance", "projectId": 1}).reason
    'pre-freeze-instance is an instance operation; opsguard checks node operations only'
    >>> parse_event('{"eventCode": "freeze-node", "projectId": 1, "nodeIds": 7}')
    Traceback (most recent call last):
    ...
    evaluator.events.WrongType: data.nodeIds: expected array of node ids, got number 7
    >>> try:
    ...     parse_event({"id": "m-1", "type": "dataworks:NodeChange:FreezeNode", "data": {"projectId": 1}})
    ... except EventParseError as exc:
    ...     u = exc.unreadable
    >>> type(u).__name__, u.code.value, u.message_id, u.reason
    ('Unreadable', 'freeze-node', 'm-1', 'data.nodeIds: required field is missing')
    >>> parse_event({"eventCode": "freeze-node", "projectId": 1, "nodeIds": [7]}, require_id=True)
    Traceback (most recent call last):
    ...
    evaluator.events.MissingField: id: no envelope `id` to answer with: is the EventBridge target forwarding only `$.data`? deliver the complete event
    """
    obj = _load(message)
    try:
        surrogate = _lone_surrogate(obj) if _may_hold_surrogates(message) else None
    except RecursionError:
        raise MalformedEvent("", "message is nested too deeply") from None
    envelope, data, data_error = _split(obj)
    message_id, data_message_id = _message_ids(envelope, data)
    if message_id is None and (envelope is not None or require_id):
        raise MissingField("id", NO_MESSAGE_ID + (" (or send data.messageId)" if envelope is not None else ""))
    code_text, code_error = _code(envelope, data)
    if code_text is None:
        raise code_error or data_error or MissingField("data.eventCode")
    try:
        code = EventCode(code_text)
    except ValueError:
        return Ignored(reason=_ignore_reason(code_text), code=code_text, message_id=message_id,
                       project_id=_lenient(f.optional_id, data, "projectId"), envelope=envelope,
                       raw=f.frozen(data or {}))
    try:
        for error in (data_error, code_error):
            if error is not None:
                raise error
        if surrogate is not None:
            raise InvalidValue(surrogate, "holds a lone UTF-16 surrogate (an invalid \\uD800-\\uDFFF escape); "
                                          "send valid Unicode")
        assert data is not None
        return _typed(code, data, message_id, data_message_id, envelope)
    except EventParseError as exc:
        if message_id is not None and code.is_extension_point:   # it must be answered all the same
            exc.unreadable = _unreadable(code, message_id, data_message_id, envelope, data, exc)
        raise


def _typed(code: EventCode, data: Mapping[str, Any], message_id: str | None, data_message_id: str | None,
           envelope: Envelope | None) -> Event:
    prefix = "data."
    common = dict(code=code, message_id=message_id, data_message_id=data_message_id,
                  tenant_id=f.optional_id(data, "tenantId", prefix),
                  operator=f.optional_str(data, "operator", prefix, "operator"),
                  extension_biz_id=f.optional_str(data, "extensionBizId", prefix, "extension_biz_id"),
                  envelope=envelope, raw=f.frozen(data))
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
        name=f.optional_str(data, "name", prefix, "name"),
        use_multiple_time_periods=f.flag(data, "useMultipleTimePeriods", prefix),
        is_parallel=f.flag(data, "isParallel", prefix), parallel_group=group or 1,
        order=f.optional_str(data, "order", prefix, "order") or "asc",
        start_future_instance_immediately=f.flag(data, "startFutureInstanceImmediately", prefix),
        extra=f.extra_fields(data, (*_COMMON_DATA_FIELDS, *_BACKFILL_FIELDS)))


def _unreadable(code: EventCode, message_id: str, data_message_id: str | None, envelope: Envelope | None,
                data: Mapping[str, Any] | None, error: EventParseError) -> Unreadable:
    """What is left to answer with: identity, what else can still be read, and the reason."""
    data = data if data is not None else {}
    project = _lenient(f.optional_id, data, "projectId")
    if project is None and code is EventCode.BACKFILL_DATA:
        project = _lenient(f.optional_id, data, "rootNodeProjectId")
    return Unreadable(code=code, message_id=message_id, reason=" ".join(str(error).split()), error=error,
                      project_id=project, operator=_text(_lenient(f.optional_str, data, "operator", "operator")),
                      extension_biz_id=_text(_lenient(f.optional_str, data, "extensionBizId", "extension_biz_id")),
                      data_message_id=data_message_id, envelope=envelope, raw=f.frozen(data))


def _text(value: str | None) -> str | None:
    """`value` when it is valid Unicode (it goes into the verdict and the store), else None."""
    return None if value is None or _RAW_SURROGATE.search(value) else value


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
        obj = f.loads(message)
    except json.JSONDecodeError as exc:
        raise MalformedEvent("", f"message is not valid JSON: {exc.msg} at line {exc.lineno} "
                                 f"column {exc.colno}") from None
    except RecursionError:
        raise MalformedEvent("", "message is not valid JSON: nested too deeply") from None
    if not isinstance(obj, Mapping):
        raise MalformedEvent("", f"message must be a JSON object, got {json_type(obj)}")
    return obj


def _may_hold_surrogates(message: Mapping[str, Any] | bytes | bytearray | str) -> bool:
    """Cheap test before walking the message: JSON text makes a lone surrogate only from an escape."""
    if isinstance(message, Mapping):
        return True
    if isinstance(message, str):
        return bool(_RAW_SURROGATE.search(message) or _ESCAPED_SURROGATE.search(message.encode("utf-8", "replace")))
    return bool(_ESCAPED_SURROGATE.search(message))


def _lone_surrogate(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (or key) holding a lone surrogate, or None."""
    if isinstance(value, str):
        return None if value.isascii() or not _RAW_SURROGATE.search(value) else (path or "message")
    if isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}.{_safe(key)}" if path else _safe(key)
            if isinstance(key, str) and _RAW_SURROGATE.search(key):
                return where
            found = _lone_surrogate(item, where)
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = _lone_surrogate(item, f"{path}[{i}]")
            if found:
                return found
    return None


def _safe(key: Any) -> str:
    return str(key).encode("utf-8", "backslashreplace").decode("utf-8")


def _split(obj: Mapping[str, Any]) -> tuple[Envelope | None, Mapping[str, Any] | None, EventParseError | None]:
    """(envelope, data, why data cannot be read). An envelope has `data` and a CloudEvents attribute; an
    object holding only `data` (no attributes, no `eventCode` of its own) is an envelope without them."""
    if "data" not in obj or ("eventCode" in obj and not any(k in obj for k in _CLOUDEVENTS_MARKS)):
        return None, obj, None
    attrs: dict[str, Any] = {"id": f.message_id(obj.get("id"), "id")}   # no answer without it: raises
    for name in _ENVELOPE_FIELDS[1:]:   # judging reads none of these: one that is not a bounded string is
        value = obj.get(name)           # not recorded (the raw message keeps it), never a reason to refuse
        ok = isinstance(value, str) and len(value) <= f.LIMITS["envelope_attribute"] and value.isprintable()
        attrs[name] = value if ok else None
    extra = {k: v for k, v in obj.items() if k not in _ENVELOPE_FIELDS and k != "data"}
    envelope = Envelope(**attrs, extra=f.frozen(extra))
    data, data_error = _data(obj["data"])
    return envelope, data, data_error


def _data(data: Any) -> tuple[Mapping[str, Any] | None, EventParseError | None]:
    if isinstance(data, str):  # a JSON payload delivered as text: read it, still strictly
        try:
            data = f.loads(data)
        except (json.JSONDecodeError, RecursionError):
            return None, WrongType("data", "JSON object", data)
        if _lone_surrogate(data) is not None:
            return None, InvalidValue("data", "holds a lone UTF-16 surrogate; send valid Unicode")
    if data is None:
        return None, MissingField("data")
    if not isinstance(data, Mapping):
        return None, WrongType("data", "JSON object", data)
    return data, None


def _message_ids(envelope: Envelope | None, data: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """(the id to answer with, data.messageId as sent). With an envelope id, an unreadable data.messageId
    is only not recorded; without one, it is the id and must be readable."""
    inner = data.get("messageId") if data is not None else None
    if envelope is not None and envelope.id:
        try:
            return envelope.id, f.message_id(inner, "data.messageId")
        except EventParseError:
            return envelope.id, None
    data_id = f.message_id(inner, "data.messageId")
    return data_id, data_id


def _code(envelope: Envelope | None,
          data: Mapping[str, Any] | None) -> tuple[str | None, EventParseError | None]:
    """(the event code, why data.eventCode could not be read). data.eventCode wins (the official demo reads
    it); the envelope `type` names the code when it is missing (the documentation's own freeze example)."""
    error: EventParseError | None = None
    text = data.get("eventCode") if data is not None else None
    if text is not None:
        if not isinstance(text, str):
            error = WrongType("data.eventCode", "string", text)
        elif len(text) > f.LIMITS["event_code"]:
            error = InvalidValue("data.eventCode", f"{len(text):,} characters: not an event code")
        elif _RAW_SURROGATE.search(text) or not text.isprintable():
            error = InvalidValue("data.eventCode", f"{short(text)} is not an event code")
        else:
            return text, None
    kind = envelope.type if envelope is not None else None
    if kind in _TYPE_TO_CODE:
        return _TYPE_TO_CODE[kind].value, error
    if error is None and data is not None:
        known = f" (and the envelope type {short(kind)} names no event opsguard knows)" if kind else ""
        error = MissingField("data.eventCode", "required field is missing" + known)
    return None, error


def _lenient(read: Any, data: Mapping[str, Any], key: str, *args: Any) -> Any:
    """A field of a message that is not judged (or cannot be): recorded when readable, else None."""
    try:
        return read(data, key, "", *args)
    except EventParseError:
        return None


def _ignore_reason(code: str) -> str:
    if "instance" in code:
        return f"{code} is an instance operation; opsguard checks node operations only"
    return f"unknown eventCode {code!r}; nothing to check"
