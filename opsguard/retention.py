"""Keeping the state store bounded: checks finished longer ago than `[server] keep_checks_days` are dropped.

Why: every verdict is stored whole, node lists included (~5 KB for a typical check, ~0.5 MB for one on a
hub node), so a server that forgets nothing grows its store without end. What goes: finished messages
(reported, undeliverable, applied, discarded, ignored) whose last change is older than the cutoff, with
their verdicts and report attempts, and refused requests received before it. An unfinished check is never
dropped, however old: it still has to be answered. A dropped message id is new again should it ever come
back. Batches of `PRUNE_BATCH` messages, one transaction each, so writers queued behind wait little.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from opsguard.store import Pruned, Store, utcnow

__all__ = ["prune_cutoff", "prune_checks", "PRUNE_EVERY_HOURS", "PRUNE_BATCH"]

log = logging.getLogger(__name__)
PRUNE_EVERY_HOURS = 6.0   # the server's schedule (`opsguard.schedule`); the first run is a minute after start
PRUNE_BATCH = 10_000


def prune_cutoff(now: datetime, keep_days: float) -> datetime | None:
    """Checks finished before this moment are dropped; None when `keep_days` is 0 (keep everything).

    >>> from datetime import UTC
    >>> prune_cutoff(datetime(2026, 12, 4, tzinfo=UTC), 90).isoformat()
    '2026-09-05T00:00:00+00:00'
    >>> prune_cutoff(datetime(2026, 12, 4, tzinfo=UTC), 0) is None
    True
    """
    return now - timedelta(days=keep_days) if keep_days > 0 else None


def prune_checks(store: Store, keep_days: float, *, now: datetime | None = None,
                 on_pruned: Callable[[str, int], None] | None = None, batch: int = PRUNE_BATCH) -> Pruned | None:
    """Drop what is older than `keep_days`, `batch` messages a transaction until none is left; the rows
    dropped by table, or None when `keep_days` is 0. Raises what the store raises: the batches committed
    before stay dropped, the rest waits for the next run."""
    before = prune_cutoff(now or utcnow(), keep_days)
    if before is None:
        return None
    pruned = Pruned()
    while True:
        step = store.prune(before, batch)
        pruned += step
        if on_pruned is not None:
            for table, rows in step.by_table().items():
                on_pruned(table, rows)
        if step.inbox < batch and step.rejected < batch:
            break
    if pruned.total:
        log.info("dropped checks finished before %s (keep_checks_days = %g): %d messages, %d verdicts, "
                 "%d report attempts, %d refused requests", before.isoformat(), keep_days, pruned.inbox,
                 pruned.verdicts, pruned.deliveries, pruned.rejected)
    return pruned
