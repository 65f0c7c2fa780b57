"""The accept journal: a new extension event is on disk before its 202, ahead of the inbox table.

Why: a DuckDB commit costs 2-3 ms of CPU and waits out every checkpoint of the state file, which
holds all commits for 0.1-0.4 s while verdicts fill its log; a sender waits for the answer meanwhile.
An append plus `fdatasync` costs ~0.3 ms and never waits for DuckDB. Each journaled event is queued
for the state writer too, which stores its inbox row with its next batch. At start-up whatever the
journal still holds is stored again (ids already stored are skipped), so an event answered 202 is
never lost, even when the process dies between the two. The journal is a buffer, not a second
store: the inbox table stays the record.

Layout: `<state file stem>.accepts/<sequence>.jsonl` beside the state file, one JSON entry a line.
Appends go to the newest segment; a segment is deleted once a newer one takes the appends and every
entry in it is stored.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from opsguard.state import EventKind, InboxRow, InboxStatus
from opsguard.state_writer import Accept, AcceptOutcome, StateWriter
from lineage.snapshots import fsync_dir

__all__ = ["AcceptJournal", "JournalError", "Ticket", "encode_row", "decode_row", "journal_dir", "restore"]

log = logging.getLogger(__name__)
SEGMENT_BYTES = 8 * 1024 * 1024   # ~10 s of pushes at 300 events/s: a crash replays about that much
SUFFIX = ".jsonl"
ENTRY_VERSION = 1
_STOP = object()


class JournalError(OSError):
    """The journal cannot take an entry (disk full, directory gone...): the push is not acknowledged."""


@dataclass(frozen=True)
class Ticket:
    """Where an entry was written; hand it back to `AcceptJournal.stored` once its inbox row is committed."""

    segment: int


def journal_dir(state_file: Path) -> Path:
    """The journal directory of a state file (`state.duckdb` → `state.accepts/`)."""
    return state_file.with_name(state_file.stem + ".accepts")


# -- entries ---------------------------------------------------------------------------------------------
_ROW_FIELDS = tuple(f.name for f in fields(InboxRow))


def encode_row(row: InboxRow) -> bytes:
    """One journal line (without its newline) for an inbox row."""
    entry: dict[str, Any] = {name: getattr(row, name) for name in _ROW_FIELDS}
    entry["v"] = ENTRY_VERSION
    return orjson.dumps(entry)


def decode_row(line: bytes) -> InboxRow:
    """The inbox row of a journal line; `ValueError` for a line that is not one."""
    try:
        entry = orjson.loads(line)
        if entry.pop("v", None) != ENTRY_VERSION:
            raise ValueError(f"unknown journal entry version in {line[:80]!r}")
        entry["kind"] = EventKind(entry["kind"])
        entry["status"] = InboxStatus(entry["status"])
        for name in ("received_at", "updated_at"):
            if entry.get(name) is not None:
                entry[name] = datetime.fromisoformat(entry[name])
        return InboxRow(**entry)
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a journal entry ({exc}): {line[:80]!r}") from exc


def restore(journal: AcceptJournal, writer: StateWriter, timeout: float = 300.0) -> int:
    """Start-up: store what an earlier run journaled (stored ids are skipped), then forget it; returns how
    many entries were new to the inbox. An unreadable line can only be one never acknowledged: skipped."""
    futures = []
    for line in journal.replay():
        try:
            futures.append(writer.submit(Accept(decode_row(line), journaled=True)))
        except ValueError as exc:
            log.error("accept journal: %s", exc)
    new = sum(1 for f in futures if f.result(timeout).outcome is AcceptOutcome.NEW)
    journal.forget_replayed()
    if futures:
        log.info("accept journal: %d entries replayed, %d were not stored yet", len(futures), new)
    return new


# -- the journal -----------------------------------------------------------------------------------------
class _Segment:
    def __init__(self, number: int, path: Path):
        self.number, self.path = number, path
        self.fd: int | None = None
        self.size = self.appended = self.stored = 0
        self.sealed = False

    @property
    def done(self) -> bool:
        return self.sealed and self.stored >= self.appended


class AcceptJournal:
    """Appends entries durably (one thread; appends that arrive together share one `fdatasync`)."""

    def __init__(self, directory: Path, *, segment_bytes: int = SEGMENT_BYTES,
                 on_sync: Callable[[float], None] | None = None):
        """`on_sync(seconds)` is told how long each group took to write and sync: the part of a new event's
        answer the disk decides (its stalls show there first)."""
        self.directory = Path(directory)
        self._on_sync = on_sync
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JournalError(f"cannot create the accept journal {self.directory}: {exc}") from exc
        self._segment_bytes = segment_bytes
        self._left = sorted(self._existing())          # segments an earlier run left behind
        self._next = max((n for n, _ in self._left), default=0) + 1
        self._segments: dict[int, _Segment] = {}
        self._current: _Segment | None = None
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="accept-journal", daemon=True)
        self._stopped = threading.Event()

    def _existing(self) -> list[tuple[int, Path]]:
        found = []
        for path in self.directory.glob(f"*{SUFFIX}"):
            if path.stem.isdigit():
                found.append((int(path.stem), path))
        return found

    # -- start-up ----------------------------------------------------------------------------------------
    def replay(self) -> list[bytes]:
        """Every complete entry an earlier run left, oldest first (a torn last line was never acknowledged)."""
        entries: list[bytes] = []
        for _, path in self._left:
            data = path.read_bytes()
            complete, _, torn = data.rpartition(b"\n")
            if torn:
                log.warning("accept journal %s ends in a torn entry (%d bytes, never acknowledged): skipped",
                            path.name, len(torn))
            entries.extend(line for line in complete.split(b"\n") if line)
        return entries

    def forget_replayed(self) -> None:
        """Delete the segments `replay` read (call once their entries are stored)."""
        for _, path in self._left:
            _unlink(path)
        self._left = []

    def start(self) -> AcceptJournal:
        self._thread.start()
        return self

    # -- appending ---------------------------------------------------------------------------------------
    def append(self, entry: bytes) -> Future[Ticket]:
        """Queue one entry (no newline in it); the Future resolves once it is on disk, or fails with
        `JournalError`."""
        future: Future[Ticket] = Future()
        if b"\n" in entry:
            future.set_exception(ValueError("a journal entry must be one line"))
        elif self._stopped.is_set():
            future.set_exception(JournalError("the accept journal is stopped"))
        else:
            self._queue.put((entry, future))
        return future

    def stored(self, ticket: Ticket) -> None:
        """One entry of `ticket`'s segment is in the inbox table now: a finished segment is deleted."""
        with self._lock:
            segment = self._segments.get(ticket.segment)
            if segment is None:
                return
            segment.stored += 1
        self._drop_if_done(segment)

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is queued, close the file; the last segment is deleted when all of it is stored."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)
        if self._current is not None:
            self._seal(self._current)

    @property
    def pending(self) -> int:
        """Entries written but not yet stored in the inbox table."""
        with self._lock:
            return sum(s.appended - s.stored for s in self._segments.values())

    # -- the thread --------------------------------------------------------------------------------------
    def _run(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            group: list[tuple[bytes, Future[Ticket]]] = []
            while True:
                if item is _STOP:
                    stop = True
                else:
                    group.append(item)
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if group:
                self._write(group)

    def _write(self, group: list[tuple[bytes, Future[Ticket]]]) -> None:
        data = b"".join(entry + b"\n" for entry, _ in group)
        started = time.perf_counter()
        try:
            segment = self._writable()
            assert segment.fd is not None
            view = memoryview(data)
            while view:
                view = view[os.write(segment.fd, view):]
            os.fdatasync(segment.fd)
        except OSError as exc:
            if self._current is not None:   # a half-written line must not run into the next entry
                self._seal(self._current)
            error = JournalError(f"cannot write the accept journal in {self.directory}: {exc}")
            log.error("%s", error)
            for _, future in group:
                future.set_exception(error)
            return
        if self._on_sync is not None:
            self._on_sync(time.perf_counter() - started)
        with self._lock:
            segment.appended += len(group)
            segment.size += len(data)
        ticket = Ticket(segment.number)
        for _, future in group:
            future.set_result(ticket)

    def _writable(self) -> _Segment:
        """The segment taking appends, a new one when there is none or the last is full."""
        current = self._current
        if current is not None and current.size < self._segment_bytes:
            return current
        if current is not None:
            self._seal(current)
        number = self._next
        self._next += 1
        segment = _Segment(number, self.directory / f"{number:012d}{SUFFIX}")
        segment.fd = os.open(segment.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fsync_dir(self.directory)   # the new file's name must survive a crash too
        with self._lock:
            self._segments[number] = segment
        self._current = segment
        return segment

    def _seal(self, segment: _Segment) -> None:
        """No more appends to `segment`; deleted now if every entry is stored."""
        if segment.fd is not None:
            _close(segment.fd)
            segment.fd = None
        with self._lock:
            segment.sealed = True
        if self._current is segment:
            self._current = None
        self._drop_if_done(segment)

    def _drop_if_done(self, segment: _Segment) -> None:
        """Delete a sealed segment whose entries are all stored (once, whoever gets here first)."""
        with self._lock:
            finished = segment.done and self._segments.pop(segment.number, None) is not None
        if finished:
            _unlink(segment.path)


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError as exc:
        log.warning("closing an accept journal segment failed: %s", exc)


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("cannot delete the stored accept journal segment %s: %s", path, exc)
