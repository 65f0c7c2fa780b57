"""Keeping `state.duckdb` bounded: checks finished longer ago than `[server] keep_checks_days` are dropped.

Why: every verdict is stored whole, node lists included (~5 KB for a typical check, ~0.5 MB for one on a
hub node), so a server that forgets nothing grows its state file without end. What goes: finished
messages (reported, undeliverable, applied, ignored) whose last change is older than the cutoff, with
their verdicts and report attempts, and refused requests received before it. An unfinished check is
never dropped, however old: it still has to be answered. A dropped message id is new again should it
ever come back. DuckDB reuses the freed space for new rows; the file itself does not shrink.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from opsguard.metrics import Counter
from opsguard.state import Pruned, utcnow
from opsguard.state_writer import PruneChecks, StateWriter

__all__ = ["prune_cutoff", "prune_checks", "PRUNE_EVERY_HOURS"]

log = logging.getLogger(__name__)
PRUNE_EVERY_HOURS = 6.0   # the server's schedule (`opsguard.schedule`); the first run is a minute after start
# Checks dropped per writer transaction: ~0.3 s of the writer's time here (100,000 took 2.8 s in one), so
# the commits queued behind a prune (duplicates, rechecks and node changes wait for theirs) wait little, even
# while the first prune of a long-kept file works through millions.
PRUNE_BATCH = 10_000
PRUNE_TIMEOUT_SECONDS = 300.0   # for one batch


def prune_cutoff(now: datetime, keep_days: float) -> datetime | None:
    """Checks finished before this moment are dropped; None when `keep_days` is 0 (keep everything).

    >>> from datetime import UTC
    >>> prune_cutoff(datetime(2026, 12, 4, tzinfo=UTC), 90).isoformat()
    '2026-09-05T00:00:00+00:00'
    >>> prune_cutoff(datetime(2026, 12, 4, tzinfo=UTC), 0) is None
    True
    """
    return now - timedelta(days=keep_days) if keep_days > 0 else None


def prune_checks(writer: StateWriter, keep_days: float, *, now: datetime | None = None,
                 counter: Counter | None = None, batch: int = PRUNE_BATCH) -> Pruned | None:
    """Drop what is older than `keep_days` through the state writer, in its order, `batch` checks a
    transaction until none is left; the rows dropped by table, or None when `keep_days` is 0 (keep
    everything). Raises what the writer raises (`WriterStopped`, a `duckdb.Error`, `TimeoutError`): the
    batches committed before stay dropped, the rest waits for the next run."""
    before = prune_cutoff(now or utcnow(), keep_days)
    if before is None:
        return None
    pruned = Pruned()
    while True:
        step: Pruned = writer.write(PruneChecks(before, batch), timeout=PRUNE_TIMEOUT_SECONDS)
        pruned += step
        if counter is not None:
            for table, rows in step.by_table().items():
                counter.inc(rows, table=table)
        if step.inbox < batch and step.rejected < batch:
            break
    if pruned.total:
        log.info("dropped checks finished before %s (keep_checks_days = %g): %d messages, %d verdicts, "
                 "%d report attempts, %d refused requests", before.isoformat(), keep_days, pruned.inbox,
                 pruned.verdicts, pruned.deliveries, pruned.rejected)
    return pruned
