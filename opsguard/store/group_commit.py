"""One thread commits what the HTTP intake stores: whatever queued meanwhile goes in one transaction.

Why: a push is answered once its inbox row is durable, and a durable commit waits for the disk. Pushes
that arrive while one commit waits share the next one instead of queueing a commit each (and on SQLite
two committing threads would only take turns on the file's lock). Nothing lingers: a lone push is
committed at once. Refused requests are recorded the same way, without anyone waiting on them.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

from opsguard.store.errors import StoreError
from opsguard.store.rows import InboxRow, RejectedRow
from opsguard.store.store import Store

__all__ = ["GroupCommit"]

log = logging.getLogger(__name__)
MAX_BATCH = 256
_STOP = object()


class GroupCommit:
    """`accept(row)` → a Future of whether the row was new; `reject(row)` records a refused request."""

    def __init__(self, store: Store, *, on_commit: Callable[[], None] | None = None):
        self.store = store
        self._on_commit = on_commit
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._stopped = False

    def start(self) -> GroupCommit:
        self._thread.start()
        return self

    def accept(self, row: InboxRow) -> Future[bool]:
        future: Future[bool] = Future()
        if self._stopped:
            future.set_exception(StoreError("the server is stopping"))
        else:
            self._queue.put((row, future))
        return future

    def reject(self, row: RejectedRow) -> None:
        if not self._stopped:
            self._queue.put(row)

    def stop(self) -> None:
        self._stopped = True
        self._queue.put(_STOP)
        self._thread.join(30)

    def _run(self) -> None:
        while True:
            items = [self._queue.get()]
            while len(items) < MAX_BATCH:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = _STOP in items
            self._commit([i for i in items if i is not _STOP])
            if stop:
                return

    def _commit(self, items: list[object]) -> None:
        accepts = [i for i in items if isinstance(i, tuple)]
        rejected = [i for i in items if isinstance(i, RejectedRow)]
        if accepts:
            try:
                new = self.store.accept([row for row, _ in accepts])
            except Exception as exc:  # noqa: BLE001 — every waiting push answers 503; nothing was stored
                for _, future in accepts:
                    future.set_exception(exc)
            else:
                if self._on_commit is not None and any(new):
                    self._on_commit()
                for (_, future), fresh in zip(accepts, new, strict=True):
                    future.set_result(fresh)
        if rejected:
            try:
                self.store.record_rejected(rejected)
            except Exception as exc:  # noqa: BLE001 — a lost record of a refusal is logged, not fatal
                log.warning("recording %d refused request(s) failed: %s", len(rejected), exc)
