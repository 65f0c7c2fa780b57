"""Rule and Policy: the effective thresholds an event is judged by."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta, timezone, tzinfo
from types import MappingProxyType
from typing import Any

from evaluator.verdict import Status


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
    on_error: Status = Status.FAIL
    on_timeout: Status = Status.FAIL
    judge_budget_seconds: float = 10.0
    warn_as: Status = Status.OK
    high_priority: int = 7
    default_runtime_seconds: float = 600.0
    timezone: tzinfo = timezone(timedelta(hours=8))
    use_extension_options: bool = False
    exempt_operators: frozenset[str] = frozenset()
    protected_nodes: frozenset[int] = frozenset()       # [protected] nodes: no operation may touch them
    protected_baselines: frozenset[int] = frozenset()   # [protected] baselines: nor any node of these
    source: str = "<default>"
    projects: Mapping[int, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}), repr=False, compare=False)
    _doc: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False, compare=False)
    _cache: dict[Any, Policy] = field(default_factory=dict, repr=False, compare=False)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its document (worker processes judge by the same policy); rebuilt on arrival."""
        from evaluator.policy._schema import rebuild

        return rebuild, (_plain(self._doc), {pid: _plain(o) for pid, o in self.projects.items()}, self.source)

    def rule(self, name: str) -> Rule:
        """The rule called `name`; KeyError when the policy schema has no such rule."""
        return self.rules[name]

    def is_exempt(self, rule: Rule, operator: str | None) -> bool:
        """True when `operator` is exempt from `rule` (listed on the rule or globally)."""
        return operator is not None and (operator in rule.exempt_operators or operator in self.exempt_operators)

    def wire_result(self, status: Status) -> str:
        """What `UpdateWorkbenchEventResult` is sent for `status`: OK or FAIL (WARN per `warn_as`).

        >>> Policy(rules={}).wire_result(Status.WARN), Policy(rules={}, warn_as=Status.FAIL).wire_result(Status.WARN)
        ('OK', 'FAIL')
        """
        return self.warn_as.value if status is Status.WARN else status.value

    def for_project(self, project_id: int | None, options: str | Mapping[str, Any] | None = None) -> Policy:
        """This policy with `[projects.<id>]` applied, then the workspace's extension options if enabled.

        Raises `PolicyError` for invalid options (the caller reports it; the file policy still applies).

        >>> from evaluator.policy import parse_policy
        >>> p = parse_policy('[projects.7.downstream-blocked]\\nfail = 500\\n')
        >>> p.rule("downstream-blocked").fail, p.for_project(7).rule("downstream-blocked").fail
        (200, 500)
        """
        key = (project_id, options if options is None or isinstance(options, str)
               else json.dumps(options, sort_keys=True, default=str))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        from evaluator.policy._options import options_doc
        from evaluator.policy._schema import build, check_order, merge, validate

        doc = self._doc
        override = self.projects.get(project_id) if project_id is not None else None
        if override:
            doc = merge(doc, override)
        result = self if doc is self._doc else build(doc, self.projects, self.source)
        if options is not None and doc.get("use_extension_options", False):
            where = f"extension options of workspace {project_id}"
            opts = options_doc(options, where)
            if opts:
                validate(opts, where, text=None)
                result = build(merge(doc, opts), self.projects, self.source)
        check_order(result, f"{self.source} (workspace {project_id})")
        if len(self._cache) < 4096:
            self._cache[key] = result
        return result


def _plain(value: Any) -> Any:
    """`value` with every mapping a dict (read-only views do not pickle)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value
