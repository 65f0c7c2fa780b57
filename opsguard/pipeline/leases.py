"""Claims and their leases, from a worker's side: who it is, how long a claim holds, when to poll.

A worker claims rows until `now + lease_seconds` and renews every claim it holds every
`lease_seconds / 3` (`LeaseKeeper`); a worker that dies stops renewing, its claims lapse, and any other
worker — in this replica or another — takes them over. Idle workers poll the store with a read
(`Store.has_work`) every `poll_seconds`, or at once when the server rings their doorbell.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from opsguard.store import Store, utcnow

__all__ = ["worker_name", "LeaseKeeper", "lease_until"]

log = logging.getLogger(__name__)


def worker_name(role: str) -> str:
    """A name unique to this process and role, readable in `deliveries.worker`."""
    return f"{socket.gethostname()}:{os.getpid()}:{role}"


def lease_until(seconds: float, now: datetime | None = None) -> datetime:
    return (now or utcnow()) + timedelta(seconds=seconds)


class LeaseKeeper:
    """Renews the claims of `workers` every `lease_seconds / 3` until stopped."""

    def __init__(self, store: Store, workers: Callable[[], list[str]], lease_seconds: float):
        self.store, self._workers, self.lease_seconds = store, workers, lease_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)

    def start(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            for worker in self._workers():
                try:
                    self.store.renew(worker, lease_until(self.lease_seconds))
                except Exception as exc:  # noqa: BLE001 — the next round tries again; a lapse is survivable
                    log.warning("renewing the claims of %s failed: %s", worker, exc)
