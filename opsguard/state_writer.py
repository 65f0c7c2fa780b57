"""One thread writes the state database: operations queue up and commit together (group commit).

A DuckDB write transaction costs 2–3 ms of CPU here whatever its row count, so the writer takes
everything queued, runs one statement per table (rows as one Arrow table), commits once and then
resolves every operation's future. Under load it first lingers up to `linger_seconds` for more work
(only when at least two more operations are expected in that time: a lone event is not held back).
It lingers asleep: operations queued meanwhile do not wake it (a new event brings two, its row and its
verdict, each wake-up a thread switch and a GIL hand-over), except one someone is waiting on (an `Accept`
not journaled, a `Flush`), which ends the lingering at once.
The thread may run at a lower CPU priority (`nice`): under load, answering pushes and judging go first.
A batch that fails is retried one operation at a time, so a bad row fails only its own caller.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import duckdb

from opsguard.state import (DeliveryRow, InboxRow, OverlayRow, RejectedRow, StateStore, StateTransaction,
                             StatusChange, VerdictRow)

__all__ = ["StateWriter", "Accept", "AcceptOutcome", "Accepted", "SaveVerdict", "RecordDelivery", "RecordRejected",
           "PruneOverlay", "PruneChecks", "Flush", "WriterStopped"]

log = logging.getLogger(__name__)
MAX_BATCH = 512
LINGER_SECONDS = 0.002   # wait up to this long for more work before a commit (group commit)
_RATE_WEIGHT = 0.2       # of the newest batch in the arrival-rate estimate


class WriterStopped(RuntimeError):
    """The writer thread is stopped: nothing more can be written."""


class AcceptOutcome(StrEnum):
    NEW = "new"              # first time this message id is seen: it was stored
    DUPLICATE = "duplicate"  # already stored: answered from what is there, nothing re-done
    RECHECK = "recheck"      # explicit recheck of a stored extension message: a new generation


@dataclass(frozen=True)
class Accept:
    """Store an incoming message (and its node change) unless its id is known; `recheck` forces a new generation.

    `journaled`: the message is in the accept journal already and its sender has its answer, so the
    commit may wait for company (see `opsguard.accept_journal`)."""

    row: InboxRow
    overlay: OverlayRow | None = None
    recheck: bool = False
    journaled: bool = False


@dataclass(frozen=True)
class Accepted:
    """What `Accept` did; `row` is the stored row (the earlier one for a duplicate)."""

    outcome: AcceptOutcome
    row: InboxRow


@dataclass(frozen=True)
class SaveVerdict:
    """Store a verdict, with the first attempt to post it (`delivery`) when there was one: both land in
    one commit. An `accepted` inbox row with a verdict of its generation reads as evaluated, so no
    status change is needed (one statement less per event); `status` sets one anyway."""

    row: VerdictRow
    status: StatusChange | None = None
    delivery: DeliveryRow | None = None


@dataclass(frozen=True)
class RecordDelivery:
    """Record one attempt to post a result; `status` (reported / undeliverable) when it was the last."""

    row: DeliveryRow
    status: StatusChange | None = None


@dataclass(frozen=True)
class RecordRejected:
    """Record a request that was not accepted."""

    row: RejectedRow


@dataclass(frozen=True)
class PruneOverlay:
    """Forget node changes received before `before` (a newer snapshot has them)."""

    before: datetime


@dataclass(frozen=True)
class PruneChecks:
    """Forget up to `limit` of the oldest checks finished before `before` (`[server] keep_checks_days`), and
    as many refused requests; resolves to a `Pruned`."""

    before: datetime
    limit: int


@dataclass(frozen=True)
class Flush:
    """Nothing to write: its Future resolves once everything submitted before it is committed."""


Operation = Accept | SaveVerdict | RecordDelivery | RecordRejected | PruneOverlay | PruneChecks | Flush
_STOP = object()


class StateWriter:
    """The writer thread of one `StateStore`. `submit` is thread-safe and returns a Future."""

    def __init__(self, store: StateStore, *, max_batch: int = MAX_BATCH, linger_seconds: float = LINGER_SECONDS,
                 name: str = "state-writer", nice: int = 0):
        """`nice`: added to the writer thread's niceness (Linux sets it per thread; the process keeps its own)."""
        self.store = store
        self._nice = nice
        self._con = store.writer_connection()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._hurry = threading.Event()   # set when an operation someone waits on is queued
        self._max_batch = max_batch
        self._linger = linger_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.batches = 0
        self.operations = 0

    def start(self) -> StateWriter:
        self._thread.start()
        return self

    def submit(self, op: Operation) -> Future[Any]:
        """Queue `op`; the Future resolves once its batch is committed (an `Accepted` for `Accept`)."""
        future: Future[Any] = Future()
        if self._stopped.is_set():
            future.set_exception(WriterStopped("the state writer is stopped"))
            return future
        self._queue.put((op, future))
        if _awaited(op):
            self._hurry.set()
        return future

    def write(self, op: Operation, timeout: float | None = 30.0) -> Any:
        """`submit` and wait for the commit."""
        return self.submit(op).result(timeout)

    def flush(self, timeout: float | None = 30.0) -> None:
        """Wait until everything submitted so far is committed."""
        self.write(Flush(), timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Commit what is queued, then stop the thread."""
        if not self._stopped.is_set():
            self._stopped.set()
            self._queue.put(_STOP)
            self._hurry.set()
            self._thread.join(timeout)

    # -- the thread ------------------------------------------------------------------------------------
    def _run(self) -> None:
        if self._nice:
            _lower_priority(self._nice)
        stop = False
        rate, last = 0.0, time.monotonic()   # operations a second, recently: is lingering worth it?
        while not stop:
            first = self._queue.get()
            stop = first is _STOP
            batch: list[tuple[Operation, Future[Any]]] = [] if stop else [first]
            lingering = not stop and rate * self._linger >= 2
            if lingering:
                self._hurry.clear()   # before looking: an awaited operation queued after this sets it again
            if not stop:
                stop = self._drain(batch)
            if lingering and not stop and len(batch) < self._max_batch and not any(_awaited(op) for op, _ in batch):
                self._hurry.wait(self._linger)
                stop = self._drain(batch)
            if batch:
                self._apply(batch)
            now = time.monotonic()
            rate = (1 - _RATE_WEIGHT) * rate + _RATE_WEIGHT * len(batch) / max(now - last, 1e-3)
            last = now
        while True:  # anything submitted after the stop marker
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP:
                item[1].set_exception(WriterStopped("the state writer is stopped"))
        self._con.close()

    def _drain(self, batch: list[tuple[Operation, Future[Any]]]) -> bool:
        """Add what is queued now to `batch` (up to the batch limit); True once the stop marker is reached."""
        while len(batch) < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return False
            if item is _STOP:
                return True
            batch.append(item)
        return False

    def _apply(self, batch: Sequence[tuple[Operation, Future[Any]]], *, careful: bool = False) -> None:
        ops = [op for op, _ in batch]
        try:
            with self.store.transaction(self._con) as tx:
                results = _write(tx, ops, careful=careful)
        except Exception as exc:  # noqa: BLE001 — retried one by one below, each caller gets its own error
            if isinstance(exc, duckdb.ConstraintException) and not careful:
                self._apply(batch, careful=True)   # a stored message id came again: redo, skipping stored ids
                return
            if len(batch) == 1:
                log.error("state write failed: %s", exc)
                batch[0][1].set_exception(exc)
                return
            log.warning("state batch of %d failed (%s); retrying one at a time", len(batch), exc)
            for single in batch:
                self._apply([single], careful=True)
            return
        self.batches += 1
        self.operations += len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            future.set_result(result)


def _lower_priority(nice: int) -> None:
    thread = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, thread, min(os.getpriority(os.PRIO_PROCESS, thread) + nice, 19))
    except OSError as exc:
        log.warning("cannot lower the state writer's CPU priority (nice +%d): %s", nice, exc)


def _awaited(op: Operation) -> bool:
    """Is someone waiting for this commit before answering?"""
    return isinstance(op, Flush) or (isinstance(op, Accept) and not op.journaled)


def _write(tx: StateTransaction, ops: Sequence[Operation], *, careful: bool) -> list[Any]:
    """Run a batch inside one transaction; one result per operation, in order."""
    results: list[Any] = [None] * len(ops)
    accepts = [(i, op) for i, op in enumerate(ops) if isinstance(op, Accept)]
    _accept(tx, accepts, results, careful)
    tx.insert_rejected([op.row for op in ops if isinstance(op, RecordRejected)])
    tx.insert_verdicts([op.row for op in ops if isinstance(op, SaveVerdict)])
    tx.insert_deliveries([op.row for op in ops if isinstance(op, RecordDelivery)]
                         + [op.delivery for op in ops if isinstance(op, SaveVerdict) and op.delivery is not None])
    changes: dict[str, StatusChange] = {}
    for op in ops:  # the last change per message wins (one UPDATE row per message)
        change = op.status if isinstance(op, (SaveVerdict, RecordDelivery)) else None
        if change is not None:
            changes[change.message_id] = change
    tx.set_status(list(changes.values()))
    for i, op in enumerate(ops):   # last: a status set in this batch counts (a recheck is not finished)
        if isinstance(op, PruneOverlay):
            tx.prune_overlay(op.before)
        elif isinstance(op, PruneChecks):
            results[i] = tx.prune_checks(op.before, op.limit)
    return results


def _accept(tx: StateTransaction, accepts: Sequence[tuple[int, Accept]], results: list[Any], careful: bool) -> None:
    first: dict[str, int] = {}
    fresh: list[tuple[int, Accept]] = []
    for i, op in accepts:
        mid = op.row.message_id
        if mid in first:
            continue  # a second copy in the same batch: a duplicate of the first, resolved below
        first[mid] = i
        if op.recheck:
            generation = tx.recheck(mid, op.row.raw, op.row.signature, op.row.received_at)
            if generation is not None:
                results[i] = Accepted(AcceptOutcome.RECHECK, replace(op.row, generation=generation, recheck=True))
                continue
        fresh.append((i, op))
    inserted = tx.insert_inbox([op.row for _, op in fresh], careful=careful)
    tx.upsert_overlay([op.overlay for _, op in fresh if op.overlay is not None and op.row.message_id in inserted])
    for i, op in fresh:
        if op.row.message_id in inserted:
            results[i] = Accepted(AcceptOutcome.NEW, op.row)
    for i, op in accepts:
        if results[i] is None:
            stored = tx.inbox_row(op.row.message_id)
            results[i] = Accepted(AcceptOutcome.DUPLICATE, stored if stored is not None else op.row)
