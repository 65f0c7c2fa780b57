"""The policy: declarative TOML thresholds per rule, per workspace, and from the extension's options.

The shipped `default_policy.toml` is also the schema: a key it does not have is unknown, a value of
another type is wrong. A user file only states what it changes. Nothing in a policy is executed.
A bad file fails at load with `PolicyError` naming the file, the line (when known) and the key.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta, timezone, tzinfo
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from evaluator.verdict import Status

__all__ = ["Policy", "Rule", "PolicyError", "load_policy", "default_policy", "parse_policy",
           "read_extension_options", "policy_from_mapping"]

DEFAULT_POLICY_FILE = "default_policy.toml"
_RULE_KEYS = ("enabled", "warn", "fail", "exempt_operators")
_STATUS_SETTINGS = {"on_stale": ("OK", "WARN", "FAIL"), "on_error": ("OK", "WARN", "FAIL"),
                    "warn_as": ("OK", "FAIL")}


class PolicyError(ValueError):
    """A policy file, override or options JSON is wrong; `source`, `line` and `key` say where."""

    def __init__(self, source: str, reason: str, *, key: str | None = None, line: int | None = None):
        self.source, self.reason, self.key, self.line = source, reason, key, line
        where = source + (f":{line}" if line else "")
        super().__init__(f"{where}: {key + ': ' if key else ''}{reason}")


@dataclass(frozen=True)
class Rule:
    """One rule: the measure is WARN at >= `warn`, FAIL at >= `fail` (None = never)."""

    name: str
    enabled: bool = True
    warn: float | None = None
    fail: float | None = None
    exempt_operators: frozenset[str] = frozenset()

    def grade(self, measure: float) -> Status:
        """The status `measure` earns under this rule's thresholds.

        >>> Rule("r", warn=1, fail=200).grade(0), Rule("r", warn=1, fail=200).grade(200)
        (<Status.OK: 'OK'>, <Status.FAIL: 'FAIL'>)
        """
        if self.fail is not None and measure >= self.fail:
            return Status.FAIL
        if self.warn is not None and measure >= self.warn:
            return Status.WARN
        return Status.OK

    def limit_for(self, status: Status) -> float | None:
        """The threshold that produced `status` (None for OK)."""
        return {Status.FAIL: self.fail, Status.WARN: self.warn}.get(status)


@dataclass(frozen=True)
class Policy:
    """The effective policy. `for_project` gives the one a workspace's event is judged by."""

    rules: Mapping[str, Rule]
    staleness: timedelta = timedelta(hours=6)
    on_stale: Status = Status.WARN
    on_error: Status = Status.WARN
    warn_as: Status = Status.OK
    high_priority: int = 7
    default_runtime_seconds: float = 600.0
    timezone: tzinfo = timezone(timedelta(hours=8))
    use_extension_options: bool = False
    exempt_operators: frozenset[str] = frozenset()
    source: str = "<default>"
    projects: Mapping[int, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}), repr=False, compare=False)
    _doc: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False, compare=False)
    _cache: dict[Any, Policy] = field(default_factory=dict, repr=False, compare=False)

    def rule(self, name: str) -> Rule:
        """The rule called `name`; KeyError when the policy schema has no such rule."""
        return self.rules[name]

    def is_exempt(self, rule: Rule, operator: str | None) -> bool:
        """True when `operator` is exempt from `rule` (listed on the rule or globally)."""
        return operator is not None and (operator in rule.exempt_operators or operator in self.exempt_operators)

    def for_project(self, project_id: int | None, options: str | Mapping[str, Any] | None = None) -> Policy:
        """This policy with `[projects.<id>]` applied, then the workspace's extension options if enabled.

        Raises `PolicyError` for invalid options (the caller reports it; the file policy still applies).

        >>> p = parse_policy('[projects.7.downstream-blocked]\\nfail = 500\\n')
        >>> p.rule("downstream-blocked").fail, p.for_project(7).rule("downstream-blocked").fail
        (200, 500)
        """
        key = (project_id, options if options is None or isinstance(options, str)
               else json.dumps(options, sort_keys=True, default=str))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        doc = self._doc
        override = self.projects.get(project_id) if project_id is not None else None
        if override:
            doc = _merge(doc, override)
        result = self if doc is self._doc else _build(doc, self.projects, self.source)
        if options is not None and _setting(doc, "use_extension_options"):
            where = f"extension options of workspace {project_id}"
            opts = _options_doc(options, where)
            if opts:
                _validate(opts, where, text=None)
                result = _build(_merge(doc, opts), self.projects, self.source)
        _check_order(result, f"{self.source} (workspace {project_id})")
        if len(self._cache) < 4096:
            self._cache[key] = result
        return result


def default_policy() -> Policy:
    """The shipped default policy (`evaluator/default_policy.toml`).

    >>> default_policy().rule("backfill-volume").warn
    2000
    """
    return _DEFAULT


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """The default policy overridden by the TOML file at `path`; `PolicyError` if it is unreadable or wrong."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(source, f"cannot read policy file: {exc}") from None
    return parse_policy(text, source)


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """A policy from TOML text (defaults for every key it does not set).

    >>> parse_policy('warn_as = "FAIL"').warn_as
    <Status.FAIL: 'FAIL'>
    >>> parse_policy('[backfill-volume]\\nwarn = 9\\nfail = 3\\n', "p.toml")
    Traceback (most recent call last):
    ...
    evaluator.policy.PolicyError: p.toml:2: backfill-volume.warn: warn (9) is above fail (3)
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        line = int(match.group(1)) if match else None
        raise PolicyError(source, f"TOML syntax error: {reason}" + (f" (column {match.group(2)})" if match else ""),
                          line=line) from None
    return policy_from_mapping(doc, source, text=text)


def policy_from_mapping(doc: Mapping[str, Any], source: str = "<policy>", *, text: str | None = None) -> Policy:
    """A policy from an already parsed document (e.g. the `[policy]` table of opsguard.toml).

    >>> policy_from_mapping({"backfill-volume": {"fail": "off"}}).rule("backfill-volume").fail is None
    True
    """
    doc = dict(doc)
    projects_raw = doc.pop("projects", {})
    _validate(doc, source, text=text)
    if not isinstance(projects_raw, Mapping):
        raise PolicyError(source, "must be a table of workspaces, e.g. [projects.215001]", key="projects",
                          line=_locate(text, (), "projects"))
    projects: dict[int, Mapping[str, Any]] = {}
    for pid_text, override in projects_raw.items():
        pid_text = str(pid_text)
        if not re.fullmatch(r"[0-9]+", pid_text) or not isinstance(override, Mapping):
            raise PolicyError(source, "expected [projects.<workspace id>] with a numeric id", key=f"projects.{pid_text}",
                              line=_locate(text, ("projects",), pid_text))
        _validate(override, source, text=text, path=("projects", pid_text))
        projects[int(pid_text)] = MappingProxyType(override)
    merged = _merge(_DEFAULT_DOC, doc) if _DEFAULT_DOC else doc
    policy = _build(merged, MappingProxyType(projects), source)
    _check_order(policy, source, text)
    for pid in projects:  # a workspace override that puts warn above fail fails now, not at evaluation
        try:
            policy.for_project(pid)
        except PolicyError as exc:
            rule = (exc.key or "").rsplit(".", 1)[0]
            path = ("projects", str(pid), rule)
            line = _locate(text, path, "warn") or _locate(text, path, "fail")
            raise PolicyError(source, exc.reason, key=f"projects.{pid}.{exc.key}", line=line) from None
    return policy


def read_extension_options(snapshot_path: str | os.PathLike[str]) -> dict[int, str]:
    """The `project_options` table of a snapshot: workspace id → options JSON string."""
    from lineage.snapshots import open_snapshot

    con = open_snapshot(snapshot_path)
    try:
        rows = con.execute("SELECT project_id, option_value FROM project_options").fetchall()
    finally:
        con.close()
    return {int(pid): value for pid, value in rows if value}


# -- building and validating ---------------------------------------------------------------------------
def _build(doc: Mapping[str, Any], projects: Mapping[int, Mapping[str, Any]], source: str) -> Policy:
    rules = {}
    for name, table in doc.items():
        if isinstance(table, Mapping):
            rules[name] = Rule(name=name, enabled=table.get("enabled", True), warn=_threshold(table.get("warn")),
                               fail=_threshold(table.get("fail")),
                               exempt_operators=frozenset(str(o) for o in table.get("exempt_operators", ())))
    return Policy(
        rules=MappingProxyType(rules), staleness=timedelta(seconds=_duration(doc["staleness"])),
        on_stale=Status(doc["on_stale"]), on_error=Status(doc["on_error"]), warn_as=Status(doc["warn_as"]),
        high_priority=int(doc["high_priority"]), default_runtime_seconds=float(doc["default_runtime_minutes"]) * 60,
        timezone=_offset(doc["timezone"]), use_extension_options=bool(doc["use_extension_options"]),
        exempt_operators=frozenset(str(o) for o in doc["exempt_operators"]), source=source,
        projects=projects, _doc=MappingProxyType(dict(doc)))


def _validate(doc: Mapping[str, Any], source: str, *, text: str | None, path: tuple[str, ...] = ()) -> None:
    schema = _DEFAULT_DOC
    for key, value in doc.items():
        full = ".".join((*path, key))
        line = _locate(text, path, key) if text else None
        if key not in schema:
            raise PolicyError(source, _unknown(key, schema), key=full, line=line)
        expected = schema[key]
        if isinstance(expected, Mapping):
            if not isinstance(value, Mapping):
                raise PolicyError(source, f"expected a table [{key}], got {_kind(value)}", key=full, line=line)
            for rkey, rvalue in value.items():
                rline = _locate(text, (*path, key), rkey) if text else None
                if rkey not in expected:
                    raise PolicyError(source, _unknown(rkey, expected), key=f"{full}.{rkey}", line=rline)
                _check_rule_value(rkey, rvalue, source, f"{full}.{rkey}", rline)
        else:
            _check_setting(key, value, expected, source, full, line)


def _check_rule_value(key: str, value: Any, source: str, full: str, line: int | None) -> None:
    if key == "enabled" and not isinstance(value, bool):
        raise PolicyError(source, f"expected true or false, got {_kind(value)}", key=full, line=line)
    if key in ("warn", "fail"):
        if not (value == "off" or (isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0)):
            raise PolicyError(source, f"expected a number >= 0 or \"off\", got {_kind(value)}", key=full, line=line)
    if key == "exempt_operators":
        _check_operators(value, source, full, line)


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
        raise PolicyError(source, f"expected {_kind(expected)}, got {_kind(value)}", key=full, line=line)
    if key in _STATUS_SETTINGS and value not in _STATUS_SETTINGS[key]:
        raise PolicyError(source, f"expected one of {', '.join(_STATUS_SETTINGS[key])}, got {value!r}", key=full,
                          line=line)
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
        raise PolicyError(source, f"expected a list of operator UIDs, got {_kind(value)}", key=full, line=line)


def _check_order(policy: Policy, source: str, text: str | None = None) -> None:
    for rule in policy.rules.values():
        if rule.warn is not None and rule.fail is not None and rule.warn > rule.fail:
            raise PolicyError(source, f"warn ({_num(rule.warn)}) is above fail ({_num(rule.fail)})",
                              key=f"{rule.name}.warn", line=_locate(text, (rule.name,), "warn") if text else None)


def _options_doc(options: str | Mapping[str, Any], where: str) -> Mapping[str, Any]:
    if isinstance(options, str):
        if not options.strip():
            return {}
        try:
            options = json.loads(options)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise PolicyError(where, f"not valid JSON: {getattr(exc, 'msg', exc)}") from None
    if not isinstance(options, Mapping):
        raise PolicyError(where, f"expected a JSON object, got {_kind(options)}")
    # The options may hold other settings of the extension; opsguard's live under "opsguard" when nested.
    nested = options.get("opsguard")
    doc: dict[str, Any] = {}
    for key, value in (nested if isinstance(nested, Mapping) else options).items():
        key = str(key)
        if key in _OPTION_ALIASES:
            target, convert = _OPTION_ALIASES[key]
            key, value = target, convert(value)
        rule, dot, setting = key.partition(".")
        if dot and rule in _DEFAULT_DOC and isinstance(_DEFAULT_DOC[rule], Mapping):
            doc.setdefault(rule, {})[setting] = value   # flat form: {"backfill-volume.fail": 5000}
        elif isinstance(value, Mapping) and isinstance(doc.get(key), dict):
            doc[key].update(value)
        else:
            doc[key] = dict(value) if isinstance(value, Mapping) else value
    return doc


def _max_to_fail(value: Any) -> Any:
    """A "max allowed" count becomes the fail threshold just above it (non-numbers are left for validation)."""
    return value + 1 if isinstance(value, int) and not isinstance(value, bool) else value


# Option names the demo workspace (sandbox) and early deployments write, mapped onto policy keys.
_OPTION_ALIASES: dict[str, tuple[str, Any]] = {
    "warnAsFail": ("warn_as", lambda v: ("FAIL" if v else "OK") if isinstance(v, bool) else v),
    "impact.max_downstream": ("downstream-blocked.fail", _max_to_fail),
    "backfill.max_run_instances": ("backfill-volume.fail", _max_to_fail),
}


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`, rule tables merged key by key. An override that lowers only `fail`
    below the inherited `warn` lowers `warn` with it (a tighter workspace stays consistent)."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
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


def _setting(doc: Mapping[str, Any], key: str) -> Any:
    return doc.get(key, _DEFAULT_DOC.get(key))


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


def _locate(text: str | None, table: tuple[str, ...], key: str) -> int | None:
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


def _kind(value: Any) -> str:
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


_DEFAULT_DOC: dict[str, Any] = {}
_DEFAULT_DOC = tomllib.loads(resources.files("evaluator").joinpath(DEFAULT_POLICY_FILE).read_text("utf-8"))
_DEFAULT: Policy = _build(_DEFAULT_DOC, MappingProxyType({}), "<default>")
