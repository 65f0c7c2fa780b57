"""The policy schema: the shipped default document defines every key and its type; documents are
validated against it, merged over it, and built into `Policy` objects."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta, timezone, tzinfo
from importlib import resources
from types import MappingProxyType
from typing import Any

from evaluator.policy._errors import PolicyError
from evaluator.policy._model import Policy, Rule
from evaluator.verdict import Status

DEFAULT_POLICY_FILE = "default_policy.toml"
PROTECTED = "protected"   # the one table that lists ids instead of grading a measure; its lists only grow
_STATUS_SETTINGS = {"on_stale": ("OK", "WARN", "FAIL"), "on_error": ("OK", "WARN", "FAIL"),
                    "on_timeout": ("OK", "WARN", "FAIL"), "warn_as": ("OK", "FAIL")}
DEFAULT_DOC: dict[str, Any] = tomllib.loads(
    resources.files("evaluator").joinpath(DEFAULT_POLICY_FILE).read_text("utf-8"))


def build(doc: Mapping[str, Any], projects: Mapping[int, Mapping[str, Any]], source: str) -> Policy:
    rules = {}
    for name, table in doc.items():
        if isinstance(table, Mapping) and name != PROTECTED:
            rules[name] = Rule(name=name, enabled=table.get("enabled", True), warn=_threshold(table.get("warn")),
                               fail=_threshold(table.get("fail")),
                               exempt_operators=frozenset(str(o) for o in table.get("exempt_operators", ())))
    return Policy(
        rules=MappingProxyType(rules), staleness=timedelta(seconds=_duration(doc["staleness"])),
        on_stale=Status(doc["on_stale"]), on_error=Status(doc["on_error"]), warn_as=Status(doc["warn_as"]),
        on_timeout=Status(doc["on_timeout"]), judge_budget_seconds=float(doc["judge_budget_seconds"]),
        high_priority=int(doc["high_priority"]), default_runtime_seconds=float(doc["default_runtime_minutes"]) * 60,
        timezone=_offset(doc["timezone"]), use_extension_options=bool(doc["use_extension_options"]),
        exempt_operators=frozenset(str(o) for o in doc["exempt_operators"]), source=source,
        protected_nodes=frozenset(int(n) for n in doc[PROTECTED]["nodes"]),
        protected_baselines=frozenset(int(b) for b in doc[PROTECTED]["baselines"]),
        projects=projects, _doc=MappingProxyType(dict(doc)))


def rebuild(doc: Mapping[str, Any], projects: Mapping[int, Mapping[str, Any]], source: str) -> Policy:
    """A pickled policy again (`Policy.__reduce__`): already validated, so only built."""
    return build(doc, MappingProxyType({pid: MappingProxyType(o) for pid, o in projects.items()}), source)


def validate(doc: Mapping[str, Any], source: str, *, text: str | None, path: tuple[str, ...] = ()) -> None:
    schema = DEFAULT_DOC
    for key, value in doc.items():
        full = ".".join((*path, key))
        line = locate(text, path, key) if text else None
        if key not in schema:
            raise PolicyError(source, _unknown(key, schema), key=full, line=line)
        expected = schema[key]
        if isinstance(expected, Mapping):
            if not isinstance(value, Mapping):
                raise PolicyError(source, f"expected a table [{key}], got {kind(value)}", key=full, line=line)
            for rkey, rvalue in value.items():
                rline = locate(text, (*path, key), rkey) if text else None
                if rkey not in expected:
                    raise PolicyError(source, _unknown(rkey, expected), key=f"{full}.{rkey}", line=rline)
                _check_rule_value(rkey, rvalue, source, f"{full}.{rkey}", rline)
        else:
            _check_setting(key, value, expected, source, full, line)


def _check_rule_value(key: str, value: Any, source: str, full: str, line: int | None) -> None:
    if key == "enabled" and not isinstance(value, bool):
        raise PolicyError(source, f"expected true or false, got {kind(value)}", key=full, line=line)
    if key in ("warn", "fail"):
        if not (value == "off" or (isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0)):
            raise PolicyError(source, f"expected a number >= 0 or \"off\", got {kind(value)}", key=full, line=line)
    if key == "exempt_operators":
        _check_operators(value, source, full, line)
    if key in ("nodes", "baselines") and not (
            isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)):
        raise PolicyError(source, f"expected a list of {key[:-1]} ids (positive integers), got {kind(value)}",
                          key=full, line=line)


def _check_setting(key: str, value: Any, expected: Any, source: str, full: str, line: int | None) -> None:
    if isinstance(expected, bool) or isinstance(value, bool):
        ok = isinstance(value, bool) and isinstance(expected, bool)
    elif isinstance(expected, (int, float)):
        ok = isinstance(value, (int, float)) and value >= 0
    elif isinstance(expected, list):
        _check_operators(value, source, full, line)
        ok = True
    else:
        ok = isinstance(value, str)
    if not ok:
        raise PolicyError(source, f"expected {kind(expected)}, got {kind(value)}", key=full, line=line)
    if key in _STATUS_SETTINGS and value not in _STATUS_SETTINGS[key]:
        raise PolicyError(source, f"expected one of {', '.join(_STATUS_SETTINGS[key])}, got {value!r}", key=full,
                          line=line)
    if key == "judge_budget_seconds" and not value > 0:
        raise PolicyError(source, f"expected a number of seconds > 0, got {value!r}", key=full, line=line)
    if key == "high_priority" and (not isinstance(value, int) or value not in range(0, 10)):
        raise PolicyError(source, f"expected a DataWorks priority (1, 3, 5, 7, 8), got {value!r}", key=full, line=line)
    try:
        if key == "staleness":
            _duration(value)
        elif key == "timezone":
            _offset(value)
    except ValueError as exc:
        raise PolicyError(source, str(exc), key=full, line=line) from None


def _check_operators(value: Any, source: str, full: str, line: int | None) -> None:
    if not isinstance(value, list) or not all(isinstance(o, (str, int)) and not isinstance(o, bool) for o in value):
        raise PolicyError(source, f"expected a list of operator UIDs, got {kind(value)}", key=full, line=line)


def check_order(policy: Policy, source: str, text: str | None = None) -> None:
    for rule in policy.rules.values():
        if rule.warn is not None and rule.fail is not None and rule.warn > rule.fail:
            raise PolicyError(source, f"warn ({_num(rule.warn)}) is above fail ({_num(rule.fail)})",
                              key=f"{rule.name}.warn", line=locate(text, (rule.name,), "warn") if text else None)


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`, rule tables merged key by key. An override that lowers only `fail`
    below the inherited `warn` lowers `warn` with it (a tighter workspace stays consistent). The
    `[protected]` lists are joined, never replaced: an override can protect more, never less.

    >>> merge({"protected": {"nodes": [1], "baselines": []}}, {"protected": {"nodes": [2, 1]}})["protected"]
    {'nodes': [1, 2], 'baselines': []}
    """
    merged = dict(base)
    for key, value in over.items():
        if key == PROTECTED and isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = {k: list(dict.fromkeys([*merged[key].get(k, ()), *value.get(k, ())]))
                           for k in {**merged[key], **value}}
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            table = {**merged[key], **value}
            warn, fail = _threshold(table.get("warn")), _threshold(table.get("fail"))
            if "warn" not in value and _is_number(warn) and _is_number(fail) and warn > fail:
                table["warn"] = fail
            merged[key] = table
        else:
            merged[key] = value
    return merged


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _threshold(value: Any) -> float | None:
    return None if value is None or value == "off" else value
_DURATION = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([smhd]?)\s*")


def _duration(value: Any) -> float:
    """Seconds from 3600, "90m", "6h", "1d"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.fullmatch(str(value))
    if not match:
        raise ValueError(f"expected a duration like \"6h\", \"90m\" or seconds, got {value!r}")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def _offset(value: Any) -> tzinfo:
    """A fixed UTC offset from "+08:00" / "UTC" (DataWorks regions do not observe DST)."""
    text = str(value).strip()
    if text.upper() in ("UTC", "Z", "+00:00"):
        return timezone.utc
    match = re.fullmatch(r"([+-])([0-9]{2}):([0-9]{2})", text)
    if not match or int(match.group(2)) > 14 or int(match.group(3)) >= 60:
        raise ValueError(f"expected a UTC offset like \"+08:00\", got {value!r}")
    sign = 1 if match.group(1) == "+" else -1
    return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))


def locate(text: str | None, table: tuple[str, ...], key: str) -> int | None:
    """1-based line of `key = ...` inside `[table]` (or of the header `[table.key]`), if it can be found."""
    if not text:
        return None
    current: tuple[str, ...] = ()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        header = re.fullmatch(r"\[\s*([^\[\]]+?)\s*\]", line)
        if header:
            current = tuple(p.strip().strip('"\'') for p in header.group(1).split("."))
            if current == (*table, key) or current[: len(table) + 1] == (*table, key):
                return number
            continue
        if current == table and re.match(rf"[\"']?{re.escape(key)}[\"']?\s*=", line):
            return number
    return None


def _unknown(key: str, known: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    if close:
        return f"unknown key; did you mean {close[0]!r}?"
    return f"unknown key (expected one of {', '.join(known)})" if len(known) <= 6 else \
        "unknown key (see default_policy.toml)"


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__


def _num(value: float) -> str:
    return f"{value:g}"

