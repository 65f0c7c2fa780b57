"""A worker process: the judge loop, or the report and node-change loops, or all three.

Why processes: judging (graph walks, JSON) and the SDK calls are pure-Python CPU work; beside the webhook
in one interpreter they would hold the GIL that answering pushes waits for. A worker owns a copy of the
live graph and nothing durable: it claims work from the store and writes its results there, so killing
it loses nothing — its claims lapse and another worker (of any replica) takes them over. A worker whose
server process is gone ends within a second: a replica dies whole.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluator.policy import Policy
from opsguard.metrics import RemoteMetrics
from opsguard.pipeline.reporter import ReportPolicy, ResultPoster

__all__ = ["WorkerSetup", "worker_main", "JUDGE", "REPORT", "EXIT_REPLACE"]

log = logging.getLogger(__name__)
JUDGE, REPORT = "judge", "report"
EXIT_REPLACE = 3   # the worker asks to be replaced (a judgement ran past its budget)


@dataclass(frozen=True)
class WorkerSetup:
    """Everything a worker process is started with (pickled to it)."""

    data_dir: Path
    policy: Policy
    extension_code: str
    client_factory: Callable[[], ResultPoster]   # picklable: builds the SDK client inside the worker
    roles: tuple[str, ...] = (JUDGE, REPORT)
    state_url: str = ""
    report_policy: ReportPolicy = field(default_factory=ReportPolicy)
    doc_base: str = ""
    report_threads: int = 64
    lease_seconds: float = 20.0
    poll_seconds: float = 0.05
    graph_poll_seconds: float = 5.0
    budget_seconds: float = 10.0
    log_level: int = logging.WARNING
    nice: int = 0


@dataclass
class _Loop:
    name: str
    run_once: Callable[[], int]
    bell: Any
    every: Callable[[], None] | None = None


def worker_main(setup: WorkerSetup, bells: dict[str, Any], metrics_queue: Any, stop: Any) -> None:
    """The worker process's entry point (a `multiprocessing` target)."""
    # The server handles Ctrl-C and SIGTERM and then sets `stop`: a signal to the whole process group must
    # not end a worker with posts in flight.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=setup.log_level, format="%(asctime)s %(levelname)s %(name)s[worker]: %(message)s")
    if setup.nice:
        try:
            os.nice(setup.nice)
        except OSError as exc:
            log.warning("cannot lower the worker's CPU priority (nice +%d): %s", setup.nice, exc)
    from opsguard.pipeline.leases import LeaseKeeper
    from opsguard.process_gc import settle_after_start
    from opsguard.store import open_store

    parent = os.getppid()
    _die_with_parent()
    store = open_store(data_dir=setup.data_dir, state_url=setup.state_url, migrate_schema=False)
    metrics = RemoteMetrics(metrics_queue)
    loops, closers, names = _loops(setup, store, metrics, bells)
    keeper = LeaseKeeper(store, lambda: names, setup.lease_seconds).start()
    failed = threading.Event()
    threads = [threading.Thread(target=_run, args=(loop, stop, failed, setup.poll_seconds), name=loop.name,
                                daemon=True) for loop in loops]
    for thread in threads:
        thread.start()
    settle_after_start()
    while not stop.wait(0.5):
        if failed.is_set():
            os._exit(EXIT_REPLACE)            # a stuck judging thread cannot be stopped any other way
        if os.getppid() != parent:
            os._exit(0)                        # the server is gone: so is its replica
    for thread in threads:
        thread.join(30)
    for close in closers:
        close()
    keeper.stop()
    for name in names:
        store.release_all(name)
    store.close()


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this process the moment its server dies (a replica dies whole, at
    once: nothing is claimed or posted by a worker whose server is gone). Elsewhere the main loop's parent
    check ends it within half a second."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return


def _loops(setup: WorkerSetup, store: Any, metrics: RemoteMetrics,
           bells: dict[str, Any]) -> tuple[list[_Loop], list[Callable[[], None]], list[str]]:
    from lineage.live import GraphHolder
    from lineage.snapshots import SnapshotStore
    from opsguard.pipeline.judge_loop import JudgeLoop
    from opsguard.pipeline.leases import worker_name
    from opsguard.pipeline.node_change_loop import NodeChangeLoop
    from opsguard.pipeline.report_loop import ReportLoop
    from opsguard.pipeline.reporter import Reporter

    loops: list[_Loop] = []
    closers: list[Callable[[], None]] = []
    names: list[str] = []
    if JUDGE in setup.roles:
        graphs = GraphHolder(SnapshotStore(setup.data_dir))
        graphs.refresh()
        name = worker_name(JUDGE)
        judge = JudgeLoop(store, graphs, setup.policy, name, metrics, lease_seconds=setup.lease_seconds,
                          budget_seconds=setup.budget_seconds, doc_base=setup.doc_base,
                          on_judged=bells["judged"].set)
        last = [time.monotonic()]

        def poll_snapshot() -> None:
            if time.monotonic() - last[0] >= setup.graph_poll_seconds:
                last[0] = time.monotonic()
                graphs.refresh()

        loops.append(_Loop(JUDGE, judge.run_once, bells["new"], poll_snapshot))
        closers.append(judge.close)
        names.append(name)
    if REPORT in setup.roles:
        client = setup.client_factory()
        name = worker_name(REPORT)
        report = ReportLoop(store, Reporter(client, setup.extension_code, setup.report_policy), name, metrics,
                            threads=setup.report_threads, lease_seconds=setup.lease_seconds)
        changes = NodeChangeLoop(store, client, worker_name("node-change"), metrics,  # type: ignore[arg-type]
                                 lease_seconds=setup.lease_seconds)
        loops += [_Loop(REPORT, report.run_once, bells["judged"]), _Loop("node-change", changes.run_once, bells["new"])]
        closers.append(report.close)
        names += [name, changes.worker]
    return loops, closers, names


def _run(loop: _Loop, stop: Any, failed: threading.Event, poll_seconds: float) -> None:
    from opsguard.pipeline.judge_loop import BudgetExceeded

    while not stop.is_set():
        if loop.every is not None:
            loop.every()
        try:
            done = loop.run_once()
        except BudgetExceeded:
            failed.set()
            return
        except Exception as exc:  # noqa: BLE001 — the store or the API is down: try again shortly
            log.error("%s loop: %s", loop.name, exc)
            stop.wait(1.0)
            continue
        if not done and loop.bell.wait(poll_seconds):
            loop.bell.clear()
