"""Keeping the graph fresh inside `opsguard serve`: scheduled syncs and noticing new snapshots.

An APScheduler 3 `BackgroundScheduler` runs these jobs, each `max_instances=1`, `coalesce=True`
(missed runs collapse into one) with a misfire grace time:

- `snapshot-poll` every `graph_poll_seconds`: a new CURRENT (from this server's sync or an
  `opsguard sync` run elsewhere) is loaded and swapped in (`GraphHolder.refresh`);
- `refresh-sync` every `refresh_minutes` (incremental) and `full-sync` daily at `full_sync_at`
  (DataWorks local time): both go through `run_sync_now`, which takes a lock — a thread lock and a
  file lock on `<data-dir>/snapshots/.sync.lock`, so never two syncs at once, not even with an
  `opsguard sync` started by hand that holds it — and skips (logged, counted) when it is held;
- `state-prune` every `PRUNE_EVERY_HOURS`, first a minute after start, when the server keeps checks
  for a limited time (`opsguard.retention`): the scheduler the server already has, not another thread.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from opsguard.config import ScheduleSettings
from opsguard.metrics import Metrics
from opsguard.retention import PRUNE_EVERY_HOURS
from opsguard.store import Store

__all__ = ["Schedule", "SyncRunner", "sync_lock", "SyncBusy"]

log = logging.getLogger(__name__)
SyncRunner = Callable[[bool], Any]   # full: bool -> a lineage.sync.SyncResult
LOCK_FILE = ".sync.lock"


class SyncBusy(RuntimeError):
    """Another sync holds the lock."""


_THREAD_LOCK = threading.Lock()


@contextmanager
def sync_lock(snapshots_dir: Path) -> Iterator[None]:
    """Hold the sync lock (this process and the data dir); raises `SyncBusy` at once when it is taken."""
    if not _THREAD_LOCK.acquire(blocking=False):
        raise SyncBusy("a sync is already running in this process")
    try:
        snapshots_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(snapshots_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SyncBusy(f"another process holds {snapshots_dir / LOCK_FILE}") from None
            yield
        finally:
            os.close(fd)
    finally:
        _THREAD_LOCK.release()


class Schedule:
    """The scheduler of one replica. `refresh_graph()` swaps in a new snapshot (True when it did)."""

    def __init__(self, refresh_graph: Callable[[], bool], store: Store, snapshots_dir: Path,
                 schedule: ScheduleSettings, *, tz: tzinfo, poll_seconds: float, metrics: Metrics,
                 sync_runner: SyncRunner | None = None, prune_state: Callable[[], Any] | None = None):
        self.refresh_graph = refresh_graph
        self.store = store
        self.snapshots_dir = snapshots_dir
        self.schedule = schedule
        self.tz = tz
        self.poll_seconds = poll_seconds
        self.metrics = metrics
        self.sync_runner = sync_runner
        self.prune_state = prune_state
        self._scheduler: Any = None
        self.last_sync: dict[str, Any] = {}
        self.syncing = False

    def start(self, *, sync_now: bool = False) -> None:
        """Start the jobs; `sync_now` adds a first sync at once (a data dir without a snapshot)."""
        from apscheduler.schedulers.background import BackgroundScheduler

        grace = self.schedule.misfire_grace_seconds
        common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": grace, "replace_existing": True}
        scheduler = BackgroundScheduler(timezone=self.tz, daemon=True)
        if self.poll_seconds > 0:
            scheduler.add_job(self.refresh_graph, "interval", seconds=self.poll_seconds, id="snapshot-poll",
                              **common)
        if self.sync_runner is not None and sync_now:
            scheduler.add_job(self.run_sync_now, "date", kwargs={"full": True}, id="first-sync", **common)
        if self.sync_runner is not None and self.schedule.refresh_minutes > 0:
            scheduler.add_job(self.run_sync_now, "interval", minutes=self.schedule.refresh_minutes,
                              kwargs={"full": False}, id="refresh-sync", **common)
        at = self.schedule.full_sync_time
        if self.sync_runner is not None and at is not None:
            scheduler.add_job(self.run_sync_now, "cron", hour=at[0], minute=at[1], kwargs={"full": True},
                              id="full-sync", **common)
        if self.prune_state is not None:
            scheduler.add_job(self._prune, "interval", hours=PRUNE_EVERY_HOURS, id="state-prune",
                              next_run_time=datetime.now(self.tz) + timedelta(minutes=1), **common)
        scheduler.start()
        self._scheduler = scheduler

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    def jobs(self) -> list[dict[str, Any]]:
        """The scheduled jobs and their next run (for `/readyz`)."""
        if self._scheduler is None:
            return []
        return [{"id": job.id, "next_run": job.next_run_time.isoformat() if job.next_run_time else None}
                for job in self._scheduler.get_jobs()]

    def _prune(self) -> None:
        assert self.prune_state is not None
        try:
            self.prune_state()
        except Exception as exc:  # noqa: BLE001 — nothing was dropped; the next run tries again
            log.error("dropping old checks from the state store failed: %s; next try in %g h", exc,
                      PRUNE_EVERY_HOURS)

    def run_sync_now(self, full: bool = False) -> bool:
        """Run one sync unless another is running; swap to its snapshot. True when a sync completed."""
        kind = "full" if full else "refresh"
        if self.sync_runner is None:
            return False
        try:
            with sync_lock(self.snapshots_dir), self.store.sync_lock() as taken:
                if not taken:
                    raise SyncBusy("another replica is syncing (the store's sync lock is held)")
                log.info("%s sync starting", kind)
                self.syncing = True
                try:
                    result = self.sync_runner(full)
                finally:
                    self.syncing = False
        except SyncBusy as exc:
            log.warning("%s sync skipped: %s", kind, exc)
            self.metrics.inc("syncs", kind=kind, outcome="skipped")
            return False
        except Exception as exc:  # noqa: BLE001 — a failed sync leaves the live snapshot; try next time
            log.error("%s sync failed: %s", kind, exc)
            self.metrics.inc("syncs", kind=kind, outcome="failed")
            self.last_sync = {"kind": kind, "ok": False, "error": str(exc)}
            return False
        self.metrics.inc("syncs", kind=kind, outcome="ok")
        self.last_sync = {"kind": kind, "ok": True, "snapshot_id": getattr(result.snapshot, "id", None)}
        self.refresh_graph()
        return True
