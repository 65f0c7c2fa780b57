"""The checks, one module each, named for what they judge; `CHECKS` is the order they run in.

A check is a pure function `(event, graph, policy, now) -> Checkpoint | None`: None when the check
does not apply to the event or its rule is disabled. Its checkpoint name is its rule name in the
policy. `evaluate(..., checks=CHECKS)` lets callers pick another tuple.
"""

from __future__ import annotations

from evaluator.checks.backfill_excluded_needed import backfill_excluded_needed
from evaluator.checks.backfill_frozen_nodes import backfill_frozen_nodes
from evaluator.checks.backfill_future_bizdates import backfill_future_bizdates
from evaluator.checks.backfill_hours import backfill_hours
from evaluator.checks.backfill_parallelism import backfill_parallelism
from evaluator.checks.backfill_selection import backfill_selection
from evaluator.checks.backfill_span import backfill_span
from evaluator.checks.backfill_stale_downstream import backfill_stale_downstream
from evaluator.checks.backfill_volume import backfill_volume
from evaluator.checks.baselines_downstream import baselines_downstream
from evaluator.checks.cross_workspace_downstream import cross_workspace_downstream
from evaluator.checks.doc import OTHER_CHECKPOINTS
from evaluator.checks.downstream_blocked import downstream_blocked
from evaluator.checks.downstream_orphaned import downstream_orphaned
from evaluator.checks.judging import Check
from evaluator.checks.high_priority_downstream import high_priority_downstream
from evaluator.checks.other_owners_downstream import other_owners_downstream
from evaluator.checks.protected_nodes import protected_nodes
from evaluator.checks.snapshot_freshness import snapshot_freshness
from evaluator.checks.unfreeze_baselines_at_risk import unfreeze_baselines_at_risk
from evaluator.checks.unfreeze_catch_up import unfreeze_catch_up
from evaluator.checks.unknown_nodes import unknown_nodes
from evaluator.checks.unreadable_workspaces import unreadable_workspaces

__all__ = ["CHECKS", "SIZE_CHECKS", "Check", "check_name", "checkpoint_names"]


CHECKS: tuple[Check, ...] = (
    # freeze-node / undeploy-node / backfill-data: the policy's [protected] list (first: its tip must name them)
    protected_nodes,
    # every node operation and backfill whose downstream reaches a workspace the sync could not read: it
    # qualifies every count below, so its warning leads the warnings of the tip (silent when all was read)
    unreadable_workspaces,
    # freeze-node / undeploy-node
    downstream_blocked,
    downstream_orphaned,
    high_priority_downstream,
    baselines_downstream,
    cross_workspace_downstream,
    other_owners_downstream,
    # unfreeze-node
    unfreeze_catch_up,
    unfreeze_baselines_at_risk,
    # backfill-data
    backfill_volume,
    backfill_hours,
    backfill_span,
    backfill_future_bizdates,
    backfill_parallelism,
    backfill_selection,
    backfill_stale_downstream,
    backfill_excluded_needed,
    backfill_frozen_nodes,
    # every event
    unknown_nodes,
    snapshot_freshness,
)

# Checks that judge a request from its size alone (the periods as sent: nothing estimated, nothing
# enumerated). `evaluate` runs them first; when one FAILs, the request is refused on that alone and no
# other check runs, so an absurd request (bizdates 0001..9999) is answered in microseconds.
SIZE_CHECKS: frozenset[Check] = frozenset({backfill_span})


def check_name(check: Check) -> str:
    """The checkpoint (and policy rule) name of a check function.

    >>> check_name(downstream_blocked)
    'downstream-blocked'
    """
    return getattr(check, "__name__", type(check).__name__).replace("_", "-")


def checkpoint_names(checks: tuple[Check, ...] = CHECKS) -> tuple[str, ...]:
    """Every checkpoint name a verdict can carry: the checks' in the order they run, then the checkpoints
    that are not checks (`doc.OTHER_CHECKPOINTS`). `opsguard audit --check` accepts exactly these.

    >>> names = checkpoint_names()
    >>> names[0], "snapshot-freshness" in names, names[-1] in ("evaluation", "not-checked", "waiver", "policy-options")
    ('protected-nodes', True, True)
    """
    return (*(check_name(c) for c in checks), *OTHER_CHECKPOINTS)
