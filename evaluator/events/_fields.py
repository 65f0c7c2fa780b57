"""Typed readers of `data` fields: each returns the value or raises the error naming the field.

Every field is bounded (`LIMITS`), so a poison message is refused by name with what to fix instead of
travelling on into the store, the panel tip or a result call."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any

from evaluator.events._errors import InvalidValue, MissingField, OversizedNumber, WrongType, short
from evaluator.events._model import EMPTY
from lineage.backfill import BizdatePeriod

_DIGITS = re.compile(r"[0-9]{1,19}")
_DATE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[ T][0-9]{2}:[0-9]{2}:[0-9]{2})?")
_ID_MAX = 2**63 - 1   # DataWorks ids are Java longs

# Longest value each field may hold (characters; items for lists). The message id must fit a result call:
# it travels back as UpdateWorkbenchEventResult's MessageId (a query parameter) and keys the state store
# and the details URL. EventBridge ids are UUIDs (36 characters); 256 leaves room for any other scheme
# while refusing what no gateway would carry. The others are DataWorks values (UIDs, names, short codes)
# with generous room; lists and periods are bounded far above what the DataWorks dialogs can produce.
LIMITS: Mapping[str, int] = MappingProxyType({
    "message_id": 256,          # envelope id, data.messageId
    "event_code": 64,           # data.eventCode
    "envelope_attribute": 1024, # source, type, subject, time, specversion, datacontenttype
    "operator": 128,            # a UID
    "extension_biz_id": 256,
    "name": 512,                # backfill workflow name
    "order": 16,                # asc / desc
    "node_ids": 100_000,        # items of nodeIds / includeNodeIds / excludeNodeIds
    "periods": 1000,            # items of multipleTimePeriods
    "periods_text": 100_000,    # multipleTimePeriods as its JSON string
    "bizdate": 32,              # YYYY-MM-DD[ HH:mm:ss]
})


def loads(text: str) -> Any:
    """`json.loads` where a number too long to be an int becomes an `OversizedNumber` (never a ValueError
    from deep inside json), so the field holding it can be named."""
    return json.loads(text, parse_int=_int)


_MAX_DIGITS = sys.get_int_max_str_digits() or 4300


def _int(text: str) -> int | OversizedNumber:
    return int(text) if len(text) <= _MAX_DIGITS else OversizedNumber(text)


def bounded(value: str, name: str, limit_key: str) -> str:
    """`value` unless longer than its limit (`InvalidValue` saying how long and the bound)."""
    limit = LIMITS[limit_key]
    if len(value) > limit:
        raise InvalidValue(name, f"{len(value):,} characters; at most {limit:,} are accepted")
    return value


def message_id(value: Any, name: str) -> str | None:
    """A message id: a printable string of at most 256 characters; None when absent or empty."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise WrongType(name, "string", value)
    limit = LIMITS["message_id"]
    if len(value) > limit:
        raise InvalidValue(name, f"{len(value):,} characters; a message id has at most {limit} (EventBridge "
                                 "ids are UUIDs): no result call could carry it back")
    if not value.isprintable():
        raise InvalidValue(name, f"{short(value)} holds control characters or invalid Unicode; a message id "
                                 "is printable text")
    return value


def as_id(value: Any, name: str) -> int:
    # Longs may arrive as JSON numbers or, after passing through EventBridge rules/transforms that
    # stringify them, as decimal strings: accept both, nothing else (no floats, no bools).
    if isinstance(value, OversizedNumber):
        raise InvalidValue(name, f"a {value.digits:,}-digit number is not a DataWorks id (0 .. 2^63-1)")
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value)
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        raise InvalidValue(name, f"a {len(value.strip()):,}-digit number is not a DataWorks id (0 .. 2^63-1)")
    elif not isinstance(value, int) or isinstance(value, bool):
        raise WrongType(name, "integer id", value)
    if not 0 <= value <= _ID_MAX:
        raise InvalidValue(name, f"not a DataWorks id (0 .. 2^63-1): {short(value)}")
    return value


def required_id(data: Mapping[str, Any], key: str, prefix: str) -> int:
    value = data.get(key)
    if value is None:
        raise MissingField(prefix + key)
    return as_id(value, prefix + key)


def optional_id(data: Mapping[str, Any], key: str, prefix: str) -> int | None:
    value = data.get(key)
    return None if value is None or value == "" else as_id(value, prefix + key)


def optional_int(data: Mapping[str, Any], key: str, prefix: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,9}", value.strip()):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) >= 2**31:
            raise InvalidValue(prefix + key, f"{short(value)} is out of range (a 32-bit integer)")
        return value
    raise WrongType(prefix + key, "integer", value)


def optional_str(data: Mapping[str, Any], key: str, prefix: str, limit_key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):  # UIDs are numeric: accept a number too
        value = str(as_id(value, prefix + key))
    if not isinstance(value, str):
        raise WrongType(prefix + key, "string", value)
    return bounded(value, prefix + key, limit_key)


def flag(data: Mapping[str, Any], key: str, prefix: str) -> bool:
    value = data.get(key)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise WrongType(prefix + key, "boolean", value)


def id_list(data: Mapping[str, Any], key: str, prefix: str, *, required: bool) -> tuple[int, ...] | None:
    value = data.get(key)
    if value is None:
        if required:
            raise MissingField(prefix + key)
        return None
    if not isinstance(value, (list, tuple)):
        raise WrongType(prefix + key, "array of node ids", value)
    if len(value) > LIMITS["node_ids"]:
        raise InvalidValue(prefix + key, f"{len(value):,} node ids; at most {LIMITS['node_ids']:,} are accepted")
    ids = tuple(dict.fromkeys(as_id(v, f"{prefix}{key}[{i}]") for i, v in enumerate(value)))
    if required and not ids:
        raise InvalidValue(prefix + key, "empty list; the operation must name at least one node")
    return ids


def periods(data: Mapping[str, Any], prefix: str) -> tuple[BizdatePeriod, ...]:
    name = prefix + "multipleTimePeriods"
    value = data.get("multipleTimePeriods")
    if value is None:
        raise MissingField(name)
    if isinstance(value, str):  # documented as a string holding JSON
        bounded(value, name, "periods_text")
        try:
            value = loads(value)
        except (json.JSONDecodeError, RecursionError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            raise InvalidValue(name, f"not a JSON array of periods: {reason}") from None
    if not isinstance(value, list):  # also accept the array itself, should a transform un-stringify it
        raise WrongType(name, "JSON array of {bizBeginTime, bizEndTime}", value)
    if not value:
        raise InvalidValue(name, "no bizdate period given")
    if len(value) > LIMITS["periods"]:
        raise InvalidValue(name, f"{len(value):,} periods; at most {LIMITS['periods']:,} are accepted")
    periods = []
    for i, item in enumerate(value):
        where = f"{name}[{i}]"
        if not isinstance(item, Mapping):
            raise WrongType(where, "object with bizBeginTime and bizEndTime", item)
        begin = bizdate(item, "bizBeginTime", where)
        end = bizdate(item, "bizEndTime", where)
        if begin > end:
            raise InvalidValue(where, f"bizBeginTime {begin} is after bizEndTime {end}")
        periods.append(BizdatePeriod(begin, end))
    return tuple(periods)


def bizdate(item: Mapping[str, Any], key: str, where: str) -> date:
    value = item.get(key)
    name = f"{where}.{key}"
    if value is None:
        raise MissingField(name)
    if not isinstance(value, str):
        raise WrongType(name, "date string YYYY-MM-DD", value)
    match = _DATE.fullmatch(value.strip()) if len(value) <= LIMITS["bizdate"] else None
    if not match:
        raise InvalidValue(name, f"expected a date YYYY-MM-DD, got {short(value)}")
    try:
        return date.fromisoformat(match.group(1))
    except ValueError as exc:
        raise InvalidValue(name, f"not a calendar date: {short(value)} ({exc})") from None


def extra_fields(data: Mapping[str, Any], known: tuple[str, ...]) -> Mapping[str, Any]:
    return frozen({k: v for k, v in data.items() if k not in known})


def frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping)) if mapping else EMPTY

