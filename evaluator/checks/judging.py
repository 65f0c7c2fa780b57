"""How a check turns a measure into a checkpoint: which events it applies to and whether its rule is on
(`graded`), the rule's thresholds, operator exemptions, and the phrasing every message shares (counts
with thousands separators, a few node names and "+N more")."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeAlias

import numpy as np

from evaluator.events import Backfill, EventCode, NodeOperation
from evaluator.policy import Policy, Rule
from evaluator.verdict import Checkpoint, Status
from lineage.graph import LineageGraph

__all__ = ["Check", "active_rule", "graded", "is_backfill", "is_operation", "rule_checkpoint",
           "label_ids", "plural", "name_nodes", "shown_ids", "shown_list", "shown_baselines", "baseline_names", "subject", "split_phrase", "MESSAGE_NAMES"]

MESSAGE_NAMES = 3  # node names a message spells out before "+N more" (the full list is in facts)

Check: TypeAlias = Callable[[object, LineageGraph, Policy, datetime], Checkpoint | None]   # every check's shape
RuleCheck = Callable[[Any, LineageGraph, Policy, datetime, Rule], Checkpoint | None]


def active_rule(policy: Policy, name: str) -> Rule | None:
    """The enabled rule called `name`, or None when the policy switched it off."""
    rule = policy.rule(name)
    return rule if rule.enabled else None


def is_backfill(event: object) -> bool:
    """Does the event ask for a backfill (backfill-data)?"""
    return isinstance(event, Backfill)


def is_operation(*codes: EventCode) -> Callable[[object], bool]:
    """A test for node operations (freeze, unfreeze, undeploy) with one of `codes`.

    >>> is_operation(EventCode.FREEZE_NODE)(object())
    False
    """
    return lambda event: isinstance(event, NodeOperation) and event.code in codes


def graded(name: str, applies: Callable[[object], bool]) -> Callable[[RuleCheck], Check]:
    """Make `body(event, graph, policy, now, rule)` a check: None unless `applies(event)` and rule `name`
    is enabled. The check keeps the body's name (its checkpoint name), module (its `DOC`) and docstring."""
    def decorate(body: RuleCheck) -> Check:
        def check(event: object, graph: LineageGraph, policy: Policy, now: datetime) -> Checkpoint | None:
            if not applies(event):
                return None
            rule = active_rule(policy, name)
            if rule is None:
                return None
            return body(event, graph, policy, now, rule)

        check.__module__, check.__name__ = body.__module__, body.__name__
        check.__qualname__, check.__doc__ = body.__qualname__, body.__doc__
        return check

    return decorate


def rule_checkpoint(rule: Rule, policy: Policy, operator: str | None, measure: float, message: str,
          facts: Mapping[str, Any], summary: str = "") -> Checkpoint:
    """A checkpoint graded by `rule` on `measure`; an exempt operator turns WARN/FAIL into OK, saying so.

    >>> from evaluator.policy import default_policy
    >>> p = default_policy()
    >>> rule_checkpoint(p.rule("downstream-blocked"), p, "u1", 250, "blocks 250 nodes", {}).status
    <Status.FAIL: 'FAIL'>
    >>> rule_checkpoint(p.rule("downstream-blocked"), p, "u1", 250, "blocks 250 nodes", {}).message
    'blocks 250 nodes (limit 200)'
    """
    status = rule.grade(measure)
    facts = {"measure": measure, "warn_at": rule.warn, "fail_at": rule.fail, **facts}
    limit = rule.limit_for(status)
    if status is not Status.OK and policy.is_exempt(rule, operator):
        facts["exempt"] = True
        facts["status_without_exemption"] = status.value
        return Checkpoint(rule.name, Status.OK, f"{message} (operator {operator} is exempt)", facts)
    if limit is not None and limit > 1:
        bound = f" (limit {limit:,g})" if status is Status.FAIL else f" (warn at {limit:,g})"
        message, summary = message + bound, (summary + bound if summary else "")
    return Checkpoint(rule.name, status, message, facts, summary)


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 node`, `2,000 nodes`.

    >>> plural(1, "node"), plural(2000, "node"), plural(2, "dry-run node")
    ('1 node', '2,000 nodes', '2 dry-run nodes')
    """
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def shown_list(names: Sequence[str], total: int | None = None, cap: int = MESSAGE_NAMES) -> str:
    """`a, b, c +N more` — a capped list for a human.

    >>> shown_list(["a", "b", "c", "d"]), shown_list(["a"], total=5)
    ('a, b, c +1 more', 'a +4 more')
    """
    total = len(names) if total is None else total
    shown = ", ".join(names[:cap])
    rest = total - min(len(names), cap)
    return f"{shown} +{rest:,} more" if rest > 0 else shown


def shown_ids(ids: Iterable[int], cap: int = MESSAGE_NAMES) -> str:
    """`7, 8, 9 +1 more` — ids (baselines, unknown nodes) as a capped list.

    >>> shown_ids(np.array([7, 8, 9, 10])), shown_ids([7], cap=2)
    ('7, 8, 9 +1 more', '7')
    """
    return shown_list([str(i) for i in ids], cap=cap)


def shown_baselines(graph: LineageGraph, ids: Iterable[int], cap: int = MESSAGE_NAMES) -> str:
    """`trade_sla_000, trade_sla_004 +7 more` — baselines by name (`LineageGraph.directory`), by id when unnamed.

    >>> from lineage.directory import Directory
    >>> g = LineageGraph.from_records([{"node_id": 1}], [], directory=Directory(baselines={7: "sla_a"}))
    >>> shown_baselines(g, [7, 8])
    'sla_a, 8'
    """
    return shown_list([graph.directory.baseline(int(i)) or str(i) for i in ids], cap=cap)


def baseline_names(graph: LineageGraph, ids: Iterable[int]) -> dict[str, str | None]:
    """Baseline id (as text) → name, None when the snapshot has none: facts beside the ids."""
    return {str(int(i)): graph.directory.baseline_name(int(i)) for i in ids}


def name_nodes(graph: LineageGraph, idx: np.ndarray, *, order: Iterable[np.ndarray] = (),
               cap: int = MESSAGE_NAMES) -> str:
    """Names of the first `cap` positions (after sorting by the `order` keys, last key primary) + "N more"."""
    keys = list(order)
    if keys and idx.size > 1:
        idx = idx[np.lexsort(keys)]
    return shown_list(graph.labels(idx[:cap]), total=int(idx.size), cap=cap)


def label_ids(graph: LineageGraph, node_ids: Sequence[int]) -> list[str]:
    """How messages name `node_ids`, in order: the node name, or the id where a node has none or the
    snapshot does not know it.

    >>> g = LineageGraph.from_records([{"node_id": 4, "node_name": "ods_a"}, {"node_id": 5}], [])
    >>> label_ids(g, [99, 4, 5]), label_ids(g, [])
    (['99', 'ods_a', '5'], [])
    """
    known, _ = graph.positions(node_ids)
    named = dict(zip(graph.node_ids(known).tolist(), graph.labels(known)))
    return [named.get(int(n), str(n)) for n in node_ids]


def subject(graph: LineageGraph, node_ids: Sequence[int]) -> str:
    """How a message names the event's nodes: `ods_x`, or `3 nodes (a, b, c)` (see `label_ids`).

    >>> g = LineageGraph.from_records([{"node_id": 4, "node_name": "ods_a"}, {"node_id": 5}], [])
    >>> subject(g, [4]), subject(g, [99, 4, 5])
    ('ods_a', '3 nodes (99, ods_a, 5)')
    """
    labels = label_ids(graph, node_ids[:MESSAGE_NAMES])
    if len(node_ids) == 1:
        return labels[0]
    return f"{len(node_ids):,} nodes ({shown_list(labels, total=len(node_ids))})"


def split_phrase(frozen: int, dry_run: int) -> str:
    """`; also 3 frozen, 1 dry-run` — the not-live part of a count, reported apart."""
    parts = [f"{frozen:,} frozen"] if frozen else []
    parts += [f"{dry_run:,} dry-run"] if dry_run else []
    return f"; also {', '.join(parts)}" if parts else ""
