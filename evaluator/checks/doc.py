"""What a check is for, written for the operator it holds back: each check module's `DOC`.

The "View Documentation" page (`opsguard.pages.docs`) renders these next to the thresholds in force.
Checkpoints that are not checks (an evaluation that failed, unreadable workspace options, an event
that is not judged) are documented in `OTHER_CHECKPOINTS`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from evaluator.events import EventCode

__all__ = ["CheckDoc", "check_doc", "OTHER_CHECKPOINTS", "EXTENSION_POINT_EVENTS"]

# Every event DataWorks holds until opsguard answers: the `events` of a checkpoint that judges them all.
EXTENSION_POINT_EVENTS: tuple[str, ...] = tuple(code.value for code in EventCode if code.is_extension_point)


@dataclass(frozen=True)
class CheckDoc:
    """One check explained: what it measures, why that matters in DataWorks, how to pass it."""

    title: str                      # a few words
    events: tuple[str, ...]         # event codes it judges
    measures: str                   # the measure its thresholds apply to
    why: str                        # what goes wrong in DataWorks when the measure is high
    to_pass: tuple[str, ...]        # what an operator can do
    unit: str = ""                  # the measure's unit, for "FAIL at >= 200 <unit>"; "" = graded otherwise
    settings: tuple[str, ...] = ()  # policy settings that shape the check (shown with its thresholds)


def check_doc(check: object) -> CheckDoc:
    """The `DOC` of the module a check function is defined in.

    >>> from evaluator.checks import downstream_blocked
    >>> check_doc(downstream_blocked).unit
    'live descendants'
    """
    doc = getattr(sys.modules[getattr(check, "__module__", "")], "DOC", None)
    if not isinstance(doc, CheckDoc):
        raise LookupError(f"{getattr(check, '__name__', check)!r} has no DOC in its module")
    return doc


OTHER_CHECKPOINTS: dict[str, CheckDoc] = {
    "evaluation": CheckDoc(
        title="opsguard could not judge the operation",
        events=EXTENSION_POINT_EVENTS,
        measures="Nothing: this checkpoint appears when no verdict could be computed — no metadata snapshot "
                 "loaded yet, an event whose payload cannot be read (a field missing or of the wrong type; the "
                 "message names it), an unexpected error, or a judgement that ran past judge_budget_seconds.",
        why="DataWorks holds the operation until opsguard answers, so opsguard always answers; the result then "
            "follows the policy's on_error setting (on_timeout for an overrun) instead of a judgement. Both "
            "default to FAIL: a guard that could not judge does not wave the operation through.",
        to_pass=("Read the reason in the message; once fixed (e.g. after `opsguard sync`), press Recheck in "
                 "the Operation Check Details panel.",
                 "An unreadable payload comes from the sender: check the EventBridge rule forwards the complete, "
                 "untransformed event."),
        settings=("on_error",)),
    "policy-options": CheckDoc(
        title="the workspace's extension options are invalid",
        events=EXTENSION_POINT_EVENTS,
        measures="Nothing: the workspace's extension options (GetOptionValueForProject) could not be read as "
                 "policy overrides, so the file policy was applied alone.",
        why="Per-workspace thresholds in the extension options did not take effect; the verdict may be "
            "stricter or looser than the workspace intended.",
        to_pass=("Fix the options JSON named in the message (same keys as a [projects.<id>] table), then "
                 "Recheck.",),
        settings=("on_error", "use_extension_options")),
    "waiver": CheckDoc(
        title="a policy owner waived this result",
        events=EXTENSION_POINT_EVENTS,
        measures="Nothing: a waiver in force matched the operation (its node, baseline, workspace, operator or "
                 "event code), so the result is OK on purpose. The checks still ran: their findings are the "
                 "other checkpoints, and the message names the waiver, who granted it, why and until when.",
        why="Some operations must go through although a check objects (a planned migration, an incident fix); a "
            "time-limited waiver lets them without turning the guard off, and leaves the decision on record.",
        to_pass=("Nothing to do while the waiver lasts. Grant one with `opsguard waive` (at most 7 days), list "
                 "them with `opsguard waive --list`, end one early with `opsguard waive --revoke ID`.",)),
    "not-checked": CheckDoc(
        title="event not judged",
        events=("node-change-created", "node-change-updated", "node-change-deleted"),
        measures="Nothing: regular events (sent after the fact) and unknown codes are recorded, not judged.",
        why="Only extension-point events hold an operation back; node-change events keep opsguard's view of "
            "the nodes fresh between syncs.",
        to_pass=("Nothing to do.",)),
}
