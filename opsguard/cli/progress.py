"""Sync progress for people: a rich progress bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TaskID

__all__ = ["RichSyncProgress", "LogSyncProgress", "sync_progress_for"]

log = logging.getLogger("opsguard.sync")


class RichSyncProgress:
    """One bar per sync phase; use as a context manager."""

    def __init__(self, console: Console):
        self._progress = Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), console=console, transient=False)
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> "RichSyncProgress":
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start(self, phase: str, total: int) -> None:
        self._tasks[phase] = self._progress.add_task(phase, total=total)

    def advance(self, phase: str, amount: int = 1) -> None:
        self._progress.advance(self._tasks[phase], amount)


class LogSyncProgress:
    """A log line when a phase starts, every ~10 s while it runs, and when it ends."""

    def __init__(self, every_seconds: float = 10.0):
        self._every = every_seconds
        self._state: dict[str, list[float]] = {}

    def __enter__(self) -> "LogSyncProgress":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def start(self, phase: str, total: int) -> None:
        self._state[phase] = [0, total, time.monotonic()]
        log.info("%s: 0/%d", phase, total)

    def advance(self, phase: str, amount: int = 1) -> None:
        state = self._state[phase]
        state[0] += amount
        now = time.monotonic()
        if state[0] >= state[1] or now - state[2] >= self._every:
            state[2] = now
            log.info("%s: %d/%d", phase, state[0], state[1])


def sync_progress_for(json_output: bool) -> RichSyncProgress | LogSyncProgress:
    """A bar when stderr is a terminal and the output is for people; log lines otherwise."""
    if not json_output and sys.stderr.isatty():
        return RichSyncProgress(Console(stderr=True))
    return LogSyncProgress()
