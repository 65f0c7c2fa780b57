"""Typed readers of `data` fields: each returns the value or raises the error naming the field."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any

from evaluator.events._errors import InvalidValue, MissingField, WrongType, short
from evaluator.events._model import EMPTY
from lineage.backfill import BizdatePeriod

_DIGITS = re.compile(r"[0-9]{1,19}")
_DATE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[ T][0-9]{2}:[0-9]{2}:[0-9]{2})?")


def as_id(value: Any, name: str) -> int:
    # Longs may arrive as JSON numbers or, after passing through EventBridge rules/transforms that
    # stringify them, as decimal strings: accept both, nothing else (no floats, no bools).
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value)
    elif not isinstance(value, int) or isinstance(value, bool):
        raise WrongType(name, "integer id", value)
    if not 0 <= value < 2**63:
        raise InvalidValue(name, f"not a DataWorks id (0 .. 2^63-1): {value}")
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
        return value
    raise WrongType(prefix + key, "integer", value)


def optional_str(data: Mapping[str, Any], key: str, prefix: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):  # UIDs are numeric: accept a number too
        return str(value)
    if not isinstance(value, str):
        raise WrongType(prefix + key, "string", value)
    return value


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
    match = _DATE.fullmatch(value.strip())
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

