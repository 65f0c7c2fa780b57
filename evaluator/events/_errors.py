"""The exceptions `parse_event` raises; each names the field (dotted path) and what was wrong."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


class EventParseError(ValueError):
    """An event message opsguard cannot read. `field` is the dotted path, `reason` what was wrong.

    `unreadable` is set when the message still names its message id and an extension-point code: the
    `Unreadable` event to answer (DataWorks holds the operation until it is answered), else None.
    """

    unreadable: Any = None   # evaluator.events.Unreadable | None (typed loosely: the model imports this module)

    def __init__(self, field: str, reason: str):
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}" if field else reason)


class MalformedEvent(EventParseError):
    """The message is not a JSON object (bad JSON, bad UTF-8, an array, a number...)."""


class MissingField(EventParseError):
    """A required field is absent or null; `reason` may say how to fix the sender."""

    def __init__(self, field: str, reason: str = "required field is missing"):
        super().__init__(field, reason)


class WrongType(EventParseError):
    """A field holds the wrong JSON type; `expected` says what it should be."""

    def __init__(self, field: str, expected: str, value: Any):
        self.expected = expected
        super().__init__(field, f"expected {expected}, got {json_type(value)} {short(value)}")


class InvalidValue(EventParseError):
    """A field has the right type but a value DataWorks would never send."""


class OversizedNumber:
    """A JSON number too long to be a Python int (more digits than `sys.get_int_max_str_digits()`): kept
    as its length, so the field that holds it is refused by name instead of json failing deep inside."""

    __slots__ = ("digits",)

    def __init__(self, text: str):
        self.digits = len(text.lstrip("-"))

    def __repr__(self) -> str:
        return f"<{self.digits:,}-digit number>"


def json_type(value: Any) -> str:
    if isinstance(value, OversizedNumber):
        return "number"
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
    """`value` as a JSON excerpt of at most `limit` characters, always valid Unicode (lone surrogates
    escaped) and never a failure (huge numbers are named by their length)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        text = f"<{len(str(abs(value))) if value.bit_length() < 14_000 else 'over 4,000'}-digit number>"
    elif isinstance(value, str) and len(value) > 4 * limit:
        text = json.dumps(value[: 2 * limit], ensure_ascii=False)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=repr)
        except (TypeError, ValueError, RecursionError):
            text = f"<{type(value).__name__}>"
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 1] + "…"

