"""The exceptions `parse_event` raises; each names the field (dotted path) and what was wrong."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


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
        super().__init__(field, f"expected {expected}, got {json_type(value)} {short(value)}")


class InvalidValue(EventParseError):
    """A field has the right type but a value DataWorks would never send."""


def json_type(value: Any) -> str:
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


def short(value: Any, limit: int = 40) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"

