"""The server's side of its worker processes: start them, hand them work as Futures, replace one that dies.

Each worker (`opsguard.pipeline.worker_process`) is started by a fork server that has the judging code
imported already, so a start or a restart costs a fork and a graph load, not a second of imports.
One process does everything; with more, the last one only posts results and the others only judge
(posting threads next to a judging thread cost three times the CPU in GIL hand-overs). Work goes
to the worker, of those that take it, with the fewest unanswered tasks. When a worker ends unexpectedly, every
task it had not answered fails with `WorkerGone`, a new worker takes its place, and `on_restart`
runs (the service re-queues the inbox rows that are left unfinished).
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from functools import lru_cache
from multiprocessing.connection import Connection
from typing import Any

from opsguard.pipeline.judge import EvalJob, Judged
from opsguard.pipeline.reporter import Attempt, ReportJob
from opsguard.state import OverlayRow
from opsguard.pipeline.worker_process import (CHANGE, DONE, EVALUATE, FAILED, POST, READY, REFRESH, STOP, WorkerSetup,
                                      worker_main)

__all__ = ["WorkerPool", "WorkerGone", "WorkerTaskFailed", "WorkerStartError"]

log = logging.getLogger(__name__)


class WorkerGone(RuntimeError):
    """The worker process ended (or is stopping) before it answered; the task was not done."""


class WorkerTaskFailed(RuntimeError):
    """The task raised inside the worker (the message names the exception)."""


class WorkerStartError(RuntimeError):
    """A worker process did not come up (its reason is in the message)."""


@lru_cache(maxsize=1)
def _context() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["opsguard.pipeline.worker_process"])
    return ctx


@dataclass(eq=False)
class _Slot:
    """One worker process and the tasks it has not answered yet."""

    number: int
    kinds: frozenset[str]                  # EVALUATE and/or POST
    process: Any = None
    conn: Connection | None = None
    pending: dict[int, Future[Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)          # guards `pending`
    send_lock: threading.RLock = field(default_factory=threading.RLock)   # one send at a time; held across a restart
    receiver: threading.Thread | None = None


class WorkerPool:
    """`processes` worker processes started from `setup()` (called again for a restart: fresh overlay)."""

    def __init__(self, setup: Callable[[], WorkerSetup], processes: int = 1, *,
                 on_restart: Callable[[], None] | None = None, start_timeout: float = 120.0):
        self._setup = setup
        count = max(1, processes)
        both, judge, post = frozenset({EVALUATE, POST}), frozenset({EVALUATE}), frozenset({POST})
        self._slots = [_Slot(0, both)] if count == 1 else \
            [_Slot(i, judge) for i in range(count - 1)] + [_Slot(count - 1, post)]
        self._on_restart = on_restart
        self._start_timeout = start_timeout
        self._seq = itertools.count(1)
        self._stopping = False
        self.restarts = 0
        self.pids: list[int | None] = [None] * len(self._slots)

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> WorkerPool:
        """Start every worker and wait until each has loaded its graph."""
        for slot in self._slots:
            self._launch(slot)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Let each worker finish the tasks it is running, then end it; unanswered tasks fail with WorkerGone."""
        self._stopping = True
        for slot in self._slots:
            with slot.send_lock:
                try:
                    if slot.conn is not None:
                        slot.conn.send((STOP,))
                except (OSError, ValueError):
                    pass
        for slot in self._slots:
            if slot.process is not None:
                slot.process.join(timeout)
                if slot.process.is_alive():
                    log.warning("worker %d did not stop in %.0f s; killing it", slot.number, timeout)
                    slot.process.kill()
                    slot.process.join(5)
            if slot.receiver is not None:
                slot.receiver.join(5)
            self._fail_pending(slot, "the server is stopping")

    def _launch(self, slot: _Slot) -> None:
        ctx = _context()
        ours, theirs = ctx.Pipe(duplex=True)
        setup = replace(self._setup(), judges=EVALUATE in slot.kinds, posts=POST in slot.kinds)
        process = ctx.Process(target=worker_main, args=(theirs, setup), name=f"opsguard-worker-{slot.number}",
                              daemon=True)
        process.start()
        theirs.close()
        if not ours.poll(self._start_timeout):
            process.kill()
            raise WorkerStartError(f"worker {slot.number} did not load its graph in {self._start_timeout:.0f} s")
        try:
            message = ours.recv()
        except (EOFError, OSError):
            process.join(5)
            raise WorkerStartError(f"worker {slot.number} exited while starting (exit code {process.exitcode})") from None
        if message[0] != READY:
            process.join(5)
            raise WorkerStartError(f"worker {slot.number} failed to start: {message[2]}")
        slot.process, slot.conn = process, ours
        self.pids[slot.number] = process.pid
        slot.receiver = threading.Thread(target=self._receive, args=(slot, ours), name=f"worker-{slot.number}-results",
                                         daemon=True)
        slot.receiver.start()
        role = " and ".join(k for k in (EVALUATE, POST) if k in slot.kinds)
        log.info("worker %d (pid %d) started to %s (snapshot %s)", slot.number, process.pid, role,
                 message[1].get("snapshot"))

    # -- work ------------------------------------------------------------------------------------------
    def evaluate(self, job: EvalJob) -> Future[Judged | None]:
        """Judge `job` in a worker; the Future holds the `Judged` (None: nothing to report)."""
        return self._submit(EVALUATE, job)

    def post(self, job: ReportJob) -> Future[Attempt]:
        """Make one attempt to post `job`'s result; the Future holds the `Attempt`."""
        return self._submit(POST, job)

    def note_change(self, row: OverlayRow) -> None:
        """Tell every worker about a committed node change (before any job accepted after it)."""
        self._broadcast((CHANGE, row))

    def refresh(self) -> None:
        """Tell every worker to look for a newly published snapshot now."""
        self._broadcast((REFRESH,))

    @property
    def alive(self) -> bool:
        """Every worker process is running."""
        return all(slot.conn is not None and slot.process is not None and slot.process.is_alive()
                   for slot in self._slots)

    @property
    def pending(self) -> int:
        """Tasks handed to workers and not answered yet."""
        return sum(len(slot.pending) for slot in self._slots)

    def _submit(self, kind: str, payload: Any) -> Future[Any]:
        future: Future[Any] = Future()
        slot = min((s for s in self._slots if kind in s.kinds), key=lambda s: len(s.pending))
        with slot.send_lock:
            if self._stopping or slot.conn is None:
                why = "stopping" if self._stopping else "not running (it could not be restarted)"
                future.set_exception(WorkerGone(f"worker {slot.number} is {why}"))
                return future
            seq = next(self._seq)
            with slot.lock:
                slot.pending[seq] = future
            try:
                slot.conn.send((kind, seq, payload))
            except (OSError, ValueError) as exc:   # its receiver restarts it
                with slot.lock:
                    slot.pending.pop(seq, None)
                future.set_exception(WorkerGone(f"worker {slot.number} is gone ({exc})"))
            except Exception as exc:  # noqa: BLE001 — e.g. a payload that does not pickle: this task fails
                with slot.lock:
                    slot.pending.pop(seq, None)
                future.set_exception(exc)
        return future

    def _broadcast(self, message: tuple[Any, ...]) -> None:
        for slot in (s for s in self._slots if EVALUATE in s.kinds):
            with slot.send_lock:
                try:
                    if slot.conn is not None:
                        slot.conn.send(message)
                except (OSError, ValueError):
                    pass   # a restarted worker reads the stored overlay

    # -- results and deaths ----------------------------------------------------------------------------
    def _receive(self, slot: _Slot, conn: Connection) -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            with slot.lock:
                future = slot.pending.pop(message[1], None) if message[0] in (DONE, FAILED) else None
            if future is None:
                continue
            if message[0] == DONE:
                future.set_result(message[2])
            else:
                future.set_exception(WorkerTaskFailed(message[2]))
        if not self._stopping:
            self._replace(slot, conn)

    def _replace(self, slot: _Slot, dead: Connection) -> None:
        """A worker ended by itself: fail what it held, start another, then let the owner re-queue."""
        with slot.send_lock:   # no task can be sent to the dead pipe after its tasks were failed
            if slot.conn is not dead:
                return
            if slot.process is not None:
                slot.process.join(1)
            code = slot.process.exitcode if slot.process is not None else None
            log.error("worker %d (pid %s) ended unexpectedly (exit code %s); starting another", slot.number,
                      self.pids[slot.number], code)
            slot.conn = None
            dead.close()
            self._fail_pending(slot, f"worker {slot.number} ended (exit code {code})")
            try:
                self._launch(slot)
            except WorkerStartError as exc:
                log.error("cannot restart worker %d: %s; accepted events wait for the next server start",
                          slot.number, exc)
                return
            self.restarts += 1
        if self._on_restart is not None:
            self._on_restart()

    def _fail_pending(self, slot: _Slot, reason: str) -> None:
        with slot.lock:
            failed, slot.pending = slot.pending, {}
        for future in failed.values():
            future.set_exception(WorkerGone(reason))

