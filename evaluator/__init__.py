"""opsguard's pure judgement library: DataWorks events → policy → checks → verdicts.

    import evaluator
    try:
        event = evaluator.parse_event(body, require_id=True)   # a push: refused without a message id
    except evaluator.EventParseError as exc:
        if exc.unreadable is None:
            ...                                                 # 4xx with str(exc): nothing to answer
        event = exc.unreadable                                  # id and code read: answer it all the same
    verdict = evaluate(event, graph, policy)                    # evaluator.evaluate.evaluate; on_error for Unreadable
    evaluator.verdict_for_timeout(event, policy)                # the answer when judging overran its budget
    evaluator.verdict_for_error(evaluator.EventIdentity(mid, code, pid), policy, reason)   # could not judge

Names are imported on first use (PEP 562): the service (`opsguard/`) and the CLI import only what they
need. `evaluate` itself is not re-exported: `evaluator.evaluate` is its module's name.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evaluator.evaluate import evaluate_message
    from evaluator.events import Event, EventIdentity, EventParseError, Unreadable, parse_event
    from evaluator.policy import Policy, PolicyError, default_policy, load_policy
    from evaluator.unjudged import verdict_for_error, verdict_for_timeout
    from evaluator.verdict import Status, Verdict

#: public name → the module that defines it
_EXPORTS = {
    "evaluate_message": "evaluator.evaluate",
    "parse_event": "evaluator.events",
    "Event": "evaluator.events",
    "EventIdentity": "evaluator.events",
    "Unreadable": "evaluator.events",
    "EventParseError": "evaluator.events",
    "Policy": "evaluator.policy",
    "PolicyError": "evaluator.policy",
    "default_policy": "evaluator.policy",
    "load_policy": "evaluator.policy",
    "verdict_for_error": "evaluator.unjudged",
    "verdict_for_timeout": "evaluator.unjudged",
    "Status": "evaluator.verdict",
    "Verdict": "evaluator.verdict",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'evaluator' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
