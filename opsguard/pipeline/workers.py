"""The server's worker processes: started, watched, replaced when they end, stopped with the server.

With `worker_processes = 1` one process judges, reports and confirms node changes; with more, all but the
last judge and the last reports (a posting thread beside a busy judging thread waits for the GIL at every
socket call). Processes are started with `spawn` (never forked from a threaded server). Two doorbells
(`multiprocessing.Event`) wake idle workers: `new` when the intake stored something, `judged` when a verdict
is ready; without them a worker still finds its work by polling the store (other replicas' work included).
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
from dataclasses import replace
from typing import Any

from opsguard.metrics import Metrics
from opsguard.pipeline.worker import EXIT_REPLACE, JUDGE, REPORT, WorkerSetup, worker_main

__all__ = ["Workers"]

log = logging.getLogger(__name__)


class Workers:
    """`count` worker processes built from `setup`."""

    def __init__(self, setup: WorkerSetup, count: int, metrics: Metrics):
        self.setup, self.count, self.metrics = setup, max(1, count), metrics
        self._ctx = multiprocessing.get_context("spawn")
        self.bells = {"new": self._ctx.Event(), "judged": self._ctx.Event()}
        self._metrics_queue = self._ctx.Queue()
        self._stop = self._ctx.Event()
        self._processes: list[Any] = []
        self._roles: list[tuple[str, ...]] = []
        self.restarts = 0
        self._stopping = False
        self._watch = threading.Thread(target=self._watch_loop, name="worker-watch", daemon=True)
        self._drain = threading.Thread(target=self._drain_metrics, name="worker-metrics", daemon=True)

    def start(self) -> Workers:
        self._roles = [(JUDGE, REPORT)] if self.count == 1 else [(JUDGE,)] * (self.count - 1) + [(REPORT,)]
        self._processes = [self._spawn(roles) for roles in self._roles]
        self._watch.start()
        self._drain.start()
        return self

    def _spawn(self, roles: tuple[str, ...]) -> Any:
        process = self._ctx.Process(target=worker_main, name=f"opsguard-{'+'.join(roles)}",
                                    args=(replace(self.setup, roles=roles), self.bells, self._metrics_queue,
                                          self._stop), daemon=False)
        process.start()
        return process

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes if p.pid is not None]

    @property
    def alive(self) -> bool:
        return bool(self._processes) and all(p.is_alive() for p in self._processes)

    def ring(self, bell: str = "new") -> None:
        self.bells[bell].set()

    def _watch_loop(self) -> None:
        while not self._stop.wait(0.2):
            for i, process in enumerate(self._processes):
                if process.is_alive() or self._stopping:
                    continue
                reason = "asked to be replaced" if process.exitcode == EXIT_REPLACE else f"exit code {process.exitcode}"
                log.error("worker process %s (pid %s) ended (%s); starting another", process.name, process.pid,
                          reason)
                self.restarts += 1
                self.metrics.inc("worker_restarts")
                self._processes[i] = self._spawn(self._roles[i])

    def _drain_metrics(self) -> None:
        while True:
            try:
                message = self._metrics_queue.get(timeout=0.5)
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            except (EOFError, OSError):
                return
            try:
                self.metrics.apply(message)
            except Exception:  # noqa: BLE001 — a bad metric message is not worth a crash
                log.exception("applying a worker's metric failed")

    def stop(self, timeout: float = 30.0) -> None:
        """Ask every worker to finish what it is doing and end; kill those that do not in time."""
        self._stopping = True
        self._stop.set()
        for process in self._processes:
            process.join(timeout)
            if process.is_alive():
                log.warning("worker process %s did not stop in %g s; killing it", process.pid, timeout)
                process.kill()
                process.join(5)
        self._watch.join(2)
        self._drain.join(2)
