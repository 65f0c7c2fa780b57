"""A worker process: judges events and posts results, away from the process that answers HTTP.

Why a process: judging (graph walks, JSON) and the SDK call are pure-Python CPU work; next to the
webhook in one interpreter they hold the GIL that accepts are waiting for. The process owns a copy
of the graph (the same snapshot files, read-only, plus the node changes it is sent) and nothing
durable: the parent stores every verdict and attempt, so killing a worker loses no work.

A worker judges, posts, or (the only one) both: a posting thread next to a busy judging thread
waits for the GIL at every socket call, which tripled the CPU cost of a post here; so with two or
more processes one of them only posts (see `opsguard.pipeline.worker_pool`).

Messages are pickled tuples on one duplex pipe. Parent → worker: `(EVALUATE, seq, EvalJob)`,
`(POST, seq, ReportJob)`, `(CHANGE, OverlayRow)`, `(REFRESH,)`, `(STOP,)`. Worker → parent:
`(READY, info)`, `(DONE, seq, Judged | None | Attempt)`, `(FAILED, seq, reason)`. A worker whose
pipe closes (the parent died) exits at once, so nothing is posted that the parent cannot record.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from lineage.live import GraphHolder
from opsguard.pipeline.judge import EvalJob, judge
from evaluator.policy import Policy
from opsguard.process_gc import settle_after_start
from opsguard.pipeline.reporter import Reporter, ReportJob, ReportPolicy, ResultPoster
from opsguard.state import OverlayRow
from lineage.snapshots import SnapshotStore

__all__ = ["WorkerSetup", "worker_main", "EVALUATE", "POST", "CHANGE", "REFRESH", "STOP", "READY", "DONE", "FAILED"]

log = logging.getLogger(__name__)
EVALUATE, POST, CHANGE, REFRESH, STOP = "evaluate", "post", "change", "refresh", "stop"
READY, DONE, FAILED = "ready", "done", "failed"


@dataclass(frozen=True)
class WorkerSetup:
    """Everything a worker process is started with (pickled to it)."""

    data_dir: Path
    policy: Policy
    extension_code: str
    poster_factory: Callable[[], ResultPoster]   # picklable: builds the SDK client inside the worker
    report_policy: ReportPolicy = field(default_factory=ReportPolicy)
    doc_base: str = ""
    eval_threads: int = 1
    report_threads: int = 64
    poll_seconds: float = 5.0
    log_level: int = logging.WARNING
    nice: int = 0                    # added to the process's niceness (see `worker_main`)
    overlay: tuple[OverlayRow, ...] = ()
    judges: bool = True              # loads the graph and takes EVALUATE
    posts: bool = True               # builds the result client and takes POST


class _Worker:
    """The worker's side: a graph, a judge thread pool and a posting thread pool."""

    def __init__(self, conn: Connection, setup: WorkerSetup):
        self.conn, self.setup = conn, setup
        self._send_lock = threading.Lock()
        self.graphs = GraphHolder(SnapshotStore(setup.data_dir))
        if setup.judges:
            self.graphs.load_changes(list(setup.overlay))
            self.graphs.refresh()
            self.graphs.start()
        self.reporter = Reporter(setup.poster_factory(), setup.extension_code, setup.report_policy) \
            if setup.posts else None
        self._judges = ThreadPoolExecutor(max(1, setup.eval_threads), thread_name_prefix="judge")
        self._posts = ThreadPoolExecutor(max(1, setup.report_threads), thread_name_prefix="post")
        self._poll = threading.Event()
        self._stopped = False

    def send(self, message: tuple[Any, ...]) -> None:
        with self._send_lock:
            self.conn.send(message)

    def run(self) -> None:
        settle_after_start()
        live = self.graphs.current()
        self.send((READY, {"pid": os.getpid(), "snapshot": live.snapshot.id if live else None}))
        if self.setup.judges:
            threading.Thread(target=self._poll_snapshots, name="snapshot-poll", daemon=True).start()
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                os._exit(0)   # the parent is gone: post nothing it could not record
            kind = message[0]
            if kind == EVALUATE:
                # The graph version is taken here, in pipe order: every node change the parent sent
                # before this job is part of the graph the job is judged on.
                self._judges.submit(self._evaluate, message[1], message[2], self.graphs.version)
            elif kind == POST:
                self._posts.submit(self._post, message[1], message[2])
            elif kind == CHANGE:
                self.graphs.note_change(message[1])
            elif kind == REFRESH:
                self._poll.set()
            elif kind == STOP:
                break
        self._stopped = True
        self._poll.set()
        self._judges.shutdown(wait=True, cancel_futures=True)
        self._posts.shutdown(wait=True, cancel_futures=True)
        self.graphs.stop()

    def _evaluate(self, seq: int, job: EvalJob, version: int) -> None:
        self._answer(seq, lambda: judge(job, self.graphs.graph_for(version), self.setup.policy,
                                        doc_base=self.setup.doc_base, load_error=self.graphs.load_error))

    def _post(self, seq: int, job: ReportJob) -> None:
        assert self.reporter is not None, "POST sent to a worker that does not post"
        self._answer(seq, lambda: self.reporter.attempt(job))

    def _answer(self, seq: int, work: Callable[[], Any]) -> None:
        try:
            result = work()
        except Exception as exc:  # noqa: BLE001 — the parent decides: the inbox row stays unfinished
            log.exception("worker task %d failed", seq)
            self.send((FAILED, seq, f"{type(exc).__name__}: {exc}"))
            return
        self.send((DONE, seq, result))

    def _poll_snapshots(self) -> None:
        """Swap to a newly published snapshot: when told (after a sync) or every `poll_seconds`."""
        while True:
            self._poll.wait(self.setup.poll_seconds)
            self._poll.clear()
            if self._stopped:
                return
            try:
                self.graphs.refresh()
            except Exception:  # noqa: BLE001 — the next poll tries again; judging goes on with the old graph
                log.exception("loading a new snapshot failed")


def worker_main(conn: Connection, setup: WorkerSetup) -> None:
    """The worker process's entry point (`multiprocessing` target)."""
    # The parent handles Ctrl-C and SIGTERM and then tells the worker to stop; a signal to the whole
    # process group must not end it with posts in flight.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=setup.log_level, format="%(asctime)s %(levelname)s %(name)s[worker]: %(message)s")
    # Judging and posting yield the CPU to the server process: when the machine is busy, a push's answer
    # (a sender waits on it) goes first; a verdict a few milliseconds later costs less.
    if setup.nice:
        try:
            os.nice(setup.nice)
        except OSError as exc:
            log.warning("cannot lower the worker's CPU priority (nice +%d): %s", setup.nice, exc)
    try:
        worker = _Worker(conn, setup)
    except Exception as exc:  # noqa: BLE001 — told to the parent, which fails its start with it
        conn.send((FAILED, 0, f"{type(exc).__name__}: {exc}"))
        raise
    worker.run()
    conn.close()
