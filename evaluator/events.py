"""DataWorks event messages (CloudEvents envelopes, or a bare `data` object) → typed, frozen events.

`parse_event` returns a `NodeOperation`, `Backfill`, `NodeChanged` or `Ignored`, or raises one of:

    EventParseError (ValueError)    every message names the field and what was wrong
    ├── MalformedEvent              not JSON, not UTF-8, not a JSON object
    ├── MissingField                a required field is absent or null
    ├── WrongType                   a field has the wrong JSON type
    └── InvalidValue                right type, impossible value (bad date, begin > end, empty list)

Field names and semantics: REFERENCE.md §1. Unknown fields are kept (`extra`), never dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeAlias

from lineage.backfill import BackfillRequest, BizdatePeriod
from lineage.records import node_row

__all__ = ["EventCode", "Envelope", "NodeOperation", "Backfill", "NodeChanged", "Ignored", "Event",
           "parse_event", "EventParseError", "MalformedEvent", "MissingField", "WrongType", "InvalidValue"]


class EventParseError(ValueError):
    """An event message opsguard cannot read. `field` is the dotted path, `reason` what was wrong."""

    def __init__(self, field: str, reason: str):
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}" if field else reason)


class MalformedEvent(EventParseError):
    """The message is not a JSON object (bad JSON, bad UTF-8, an array, a number...)."""


class MissingField(EventParseError):
    """A required field is absent or null."""

    def __init__(self, field: str):
        super().__init__(field, "required field is missing")


class WrongType(EventParseError):
    """A field holds the wrong JSON type; `expected` says what it should be."""

    def __init__(self, field: str, expected: str, value: Any):
        self.expected = expected
        super().__init__(field, f"expected {expected}, got {_json_type(value)} {_short(value)}")


class InvalidValue(EventParseError):
    """A field has the right type but a value DataWorks would never send."""


class EventCode(StrEnum):
    """The `eventCode`s opsguard understands (REFERENCE.md §1)."""

    FREEZE_NODE = "freeze-node"
    UNFREEZE_NODE = "unfreeze-node"
    UNDEPLOY_NODE = "undeploy-node"
    BACKFILL_DATA = "backfill-data"
    NODE_CHANGE_CREATED = "node-change-created"
    NODE_CHANGE_UPDATED = "node-change-updated"
    NODE_CHANGE_DELETED = "node-change-deleted"

    @property
    def is_extension_point(self) -> bool:
        """True for codes DataWorks holds the operation for until opsguard answers."""
        return self in _EXTENSION_POINTS


_EXTENSION_POINTS = frozenset({EventCode.FREEZE_NODE, EventCode.UNFREEZE_NODE, EventCode.UNDEPLOY_NODE,
                               EventCode.BACKFILL_DATA})
_NODE_OPERATIONS = frozenset({EventCode.FREEZE_NODE, EventCode.UNFREEZE_NODE, EventCode.UNDEPLOY_NODE})
_NODE_CHANGES = frozenset({EventCode.NODE_CHANGE_CREATED, EventCode.NODE_CHANGE_UPDATED,
                           EventCode.NODE_CHANGE_DELETED})
# EventBridge `type` → eventCode, used when `data.eventCode` is absent.
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
_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Envelope:
    """The CloudEvents envelope around `data`; `extra` holds `aliyun*` and any other attributes."""

    id: str | None
    source: str | None = None
    type: str | None = None
    subject: str | None = None
    time: str | None = None
    specversion: str | None = None
    datacontenttype: str | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, compare=False, hash=False)


@dataclass(frozen=True, kw_only=True)
class _Event:
    code: EventCode
    message_id: str | None            # the id to answer with: envelope `id`, else `data.messageId`
    data_message_id: str | None       # `data.messageId` when sent (INFERRED field), recorded as is
    project_id: int
    tenant_id: int | None = None
    operator: str | None = None
    extension_biz_id: str | None = None
    envelope: Envelope | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, compare=False, hash=False)  # unknown data fields
    raw: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, compare=False, hash=False)    # the whole `data` object


@dataclass(frozen=True, kw_only=True)
class NodeOperation(_Event):
    """freeze-node / unfreeze-node / undeploy-node on `node_ids` (a batch may name several)."""

    node_ids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class Backfill(_Event):
    """backfill-data. `include_node_ids` None = not sent (DataWorks' selection unknown: assume the worst)."""

    root_node_id: int
    periods: tuple[BizdatePeriod, ...]
    include_node_ids: tuple[int, ...] | None = None
    exclude_node_ids: tuple[int, ...] = ()
    root_node_project_id: int | None = None
    name: str | None = None
    use_multiple_time_periods: bool = False
    is_parallel: bool = False
    parallel_group: int = 1
    order: str = "asc"
    start_future_instance_immediately: bool = False

    @property
    def node_ids(self) -> tuple[int, ...]:
        """Every node id the message names: root, include, exclude (deduplicated, in that order)."""
        return tuple(dict.fromkeys((self.root_node_id, *(self.include_node_ids or ()), *self.exclude_node_ids)))

    def to_request(self) -> BackfillRequest:
        """The lineage request for this backfill; empty or absent include = root + all downstream."""
        return BackfillRequest(root_id=self.root_node_id, periods=self.periods,
                               include_ids=self.include_node_ids or None, exclude_ids=self.exclude_node_ids)


@dataclass(frozen=True, kw_only=True)
class NodeChanged(_Event):
    """A regular node-change-* event carrying the node's scheduling record (`raw`, camelCase)."""

    node_id: int

    @property
    def node_ids(self) -> tuple[int, ...]:
        return (self.node_id,)

    def node_row(self) -> dict[str, Any]:
        """The record as snapshot `nodes` columns (snake_case), for the node overlay."""
        return node_row({k[:1].upper() + k[1:]: v for k, v in self.raw.items()})


@dataclass(frozen=True)
class Ignored:
    """A well-formed message opsguard does not judge (unknown code, instance freeze...); `reason` says why."""

    reason: str
    code: str | None = None
    message_id: str | None = None
    project_id: int | None = None
    envelope: Envelope | None = None
    raw: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, compare=False, hash=False)


Event: TypeAlias = NodeOperation | Backfill | NodeChanged | Ignored


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
    data_message_id = _opt_str(data, "messageId", prefix)
    message_id = envelope.id if envelope is not None and envelope.id else data_message_id
    try:
        code = EventCode(code_text)
    except ValueError:
        return Ignored(reason=_ignore_reason(code_text), code=code_text, message_id=message_id,
                       project_id=_opt_id(data, "projectId", prefix), envelope=envelope, raw=_freeze(data))
    common = dict(code=code, message_id=message_id, data_message_id=data_message_id,
                  tenant_id=_opt_id(data, "tenantId", prefix), operator=_opt_str(data, "operator", prefix),
                  extension_biz_id=_opt_str(data, "extensionBizId", prefix), envelope=envelope, raw=_freeze(data))
    if code in _NODE_OPERATIONS:
        return NodeOperation(**common, project_id=_id(data, "projectId", prefix),
                             node_ids=_ids(data, "nodeIds", prefix, required=True) or (),
                             extra=_extra(data, (*_COMMON_DATA_FIELDS, "nodeIds")))
    if code is EventCode.BACKFILL_DATA:
        return _backfill(data, prefix, common)
    node_id = _id(data, "nodeId", prefix)
    project_id = _opt_id(data, "projectId", prefix)
    if project_id is None:
        raise MissingField(f"{prefix}projectId")
    return NodeChanged(**common, project_id=project_id, node_id=node_id, extra=_EMPTY)


def _backfill(data: Mapping[str, Any], prefix: str, common: dict[str, Any]) -> Backfill:
    root_project = _opt_id(data, "rootNodeProjectId", prefix)
    project_id = _opt_id(data, "projectId", prefix)
    if project_id is None:
        project_id = root_project
    if project_id is None:
        raise MissingField(f"{prefix}projectId")
    include = _ids(data, "includeNodeIds", prefix, required=False)
    group = _opt_int(data, "parallelGroup", prefix)
    if group is not None and group < 1:
        raise InvalidValue(f"{prefix}parallelGroup", f"must be at least 1, got {group}")
    return Backfill(
        **common, project_id=project_id, root_node_id=_id(data, "rootNodeId", prefix),
        root_node_project_id=root_project, periods=_periods(data, prefix),
        include_node_ids=include, exclude_node_ids=_ids(data, "excludeNodeIds", prefix, required=False) or (),
        name=_opt_str(data, "name", prefix),
        use_multiple_time_periods=_bool(data, "useMultipleTimePeriods", prefix),
        is_parallel=_bool(data, "isParallel", prefix), parallel_group=group or 1,
        order=_opt_str(data, "order", prefix) or "asc",
        start_future_instance_immediately=_bool(data, "startFutureInstanceImmediately", prefix),
        extra=_extra(data, (*_COMMON_DATA_FIELDS, *_BACKFILL_FIELDS)))


# -- envelope ----------------------------------------------------------------------------------------
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
        raise MalformedEvent("", f"message must be a JSON object, got {_json_type(obj)}")
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
    envelope = Envelope(**attrs, extra=_freeze(extra))
    if not envelope.id and not data.get("messageId"):
        raise MissingField("id")
    return envelope, data, "data."


def _ignore_reason(code: str) -> str:
    if "instance" in code:
        return f"{code} is an instance operation; opsguard checks node operations only"
    return f"unknown eventCode {code!r}; nothing to check"


# -- typed field readers ------------------------------------------------------------------------------
_DIGITS = re.compile(r"[0-9]{1,19}")
_DATE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[ T][0-9]{2}:[0-9]{2}:[0-9]{2})?")


def _as_id(value: Any, name: str) -> int:
    # Longs may arrive as JSON numbers or, after passing through EventBridge rules/transforms that
    # stringify them, as decimal strings: accept both, nothing else (no floats, no bools).
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value)
    elif not isinstance(value, int) or isinstance(value, bool):
        raise WrongType(name, "integer id", value)
    if not 0 <= value < 2**63:
        raise InvalidValue(name, f"not a DataWorks id (0 .. 2^63-1): {value}")
    return value


def _id(data: Mapping[str, Any], key: str, prefix: str) -> int:
    value = data.get(key)
    if value is None:
        raise MissingField(prefix + key)
    return _as_id(value, prefix + key)


def _opt_id(data: Mapping[str, Any], key: str, prefix: str) -> int | None:
    value = data.get(key)
    return None if value is None or value == "" else _as_id(value, prefix + key)


def _opt_int(data: Mapping[str, Any], key: str, prefix: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,9}", value.strip()):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise WrongType(prefix + key, "integer", value)


def _opt_str(data: Mapping[str, Any], key: str, prefix: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):  # UIDs are numeric: accept a number too
        return str(value)
    if not isinstance(value, str):
        raise WrongType(prefix + key, "string", value)
    return value


def _bool(data: Mapping[str, Any], key: str, prefix: str) -> bool:
    value = data.get(key)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise WrongType(prefix + key, "boolean", value)


def _ids(data: Mapping[str, Any], key: str, prefix: str, *, required: bool) -> tuple[int, ...] | None:
    value = data.get(key)
    if value is None:
        if required:
            raise MissingField(prefix + key)
        return None
    if not isinstance(value, (list, tuple)):
        raise WrongType(prefix + key, "array of node ids", value)
    ids = tuple(dict.fromkeys(_as_id(v, f"{prefix}{key}[{i}]") for i, v in enumerate(value)))
    if required and not ids:
        raise InvalidValue(prefix + key, "empty list; the operation must name at least one node")
    return ids


def _periods(data: Mapping[str, Any], prefix: str) -> tuple[BizdatePeriod, ...]:
    name = prefix + "multipleTimePeriods"
    value = data.get("multipleTimePeriods")
    if value is None:
        raise MissingField(name)
    if isinstance(value, str):  # documented as a string holding JSON
        try:
            value = json.loads(value)
        except (json.JSONDecodeError, RecursionError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            raise InvalidValue(name, f"not a JSON array of periods: {reason}") from None
    if not isinstance(value, list):  # also accept the array itself, should a transform un-stringify it
        raise WrongType(name, "JSON array of {bizBeginTime, bizEndTime}", value)
    if not value:
        raise InvalidValue(name, "no bizdate period given")
    periods = []
    for i, item in enumerate(value):
        where = f"{name}[{i}]"
        if not isinstance(item, Mapping):
            raise WrongType(where, "object with bizBeginTime and bizEndTime", item)
        begin = _date(item, "bizBeginTime", where)
        end = _date(item, "bizEndTime", where)
        if begin > end:
            raise InvalidValue(where, f"bizBeginTime {begin} is after bizEndTime {end}")
        periods.append(BizdatePeriod(begin, end))
    return tuple(periods)


def _date(item: Mapping[str, Any], key: str, where: str) -> date:
    value = item.get(key)
    name = f"{where}.{key}"
    if value is None:
        raise MissingField(name)
    if not isinstance(value, str):
        raise WrongType(name, "date string YYYY-MM-DD", value)
    match = _DATE.fullmatch(value.strip())
    if not match:
        raise InvalidValue(name, f"expected a date YYYY-MM-DD, got {_short(value)}")
    try:
        return date.fromisoformat(match.group(1))
    except ValueError as exc:
        raise InvalidValue(name, f"not a calendar date: {_short(value)} ({exc})") from None


# -- helpers -------------------------------------------------------------------------------------------
def _extra(data: Mapping[str, Any], known: tuple[str, ...]) -> Mapping[str, Any]:
    return _freeze({k: v for k, v in data.items() if k not in known})


def _freeze(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping)) if mapping else _EMPTY


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _short(value: Any, limit: int = 40) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
