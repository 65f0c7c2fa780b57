"""The embedded store engine: SQLite at `<data-dir>/state.sqlite`.

WAL journal with `synchronous=FULL`, so a committed transaction is on disk when `write()` returns (a 2xx
after it means the event is durable), and any number of other processes (`opsguard audit`, the worker
processes) read while one writes. Each thread has its own connection; writers across processes take turns
on SQLite's lock (`busy_timeout`). Times are stored as fixed-width UTC ISO text, which compares and sorts
like the times themselves.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opsguard.store.connector import SessionBase, query
from opsguard.store.errors import StoreConfigError, StoreError, StoreUnavailable

__all__ = ["SqliteConnector", "STATE_FILE"]

STATE_FILE = "state.sqlite"
BUSY_TIMEOUT_MS = 30_000
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f+00:00"


def _adapt_time(value: datetime) -> str:
    if value.tzinfo is None:
        raise StoreError(f"naive datetime {value!r} given to the store: every time must be timezone-aware")
    return value.astimezone(UTC).strftime(_TIME_FORMAT)


def _convert_time(value: bytes) -> datetime:
    return datetime.fromisoformat(value.decode("ascii"))


sqlite3.register_adapter(datetime, _adapt_time)
sqlite3.register_converter("TIMESTAMPTZ", _convert_time)


def _unavailable(exc: sqlite3.Error, path: Path) -> StoreError:
    text = str(exc)
    lowered = text.lower()
    if any(s in lowered for s in ("full", "readonly", "read-only", "unable to open", "disk i/o", "locked", "busy")):
        return StoreUnavailable(f"the state store {path} cannot be written: {text}")
    return StoreError(f"the state store {path}: {text}")


class _Session(SessionBase):
    def __init__(self, con: sqlite3.Connection, path: Path):
        self._con, self._path = con, path

    def _execute(self, name: str, params: Mapping[str, Any] | None) -> sqlite3.Cursor:
        try:
            return self._con.execute(query(name, "sqlite"), dict(params or {}))
        except sqlite3.Error as exc:
            raise _unavailable(exc, self._path) from exc

    def all(self, name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        cur = self._execute(name, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def statement(self, text: str) -> None:
        try:
            self._con.execute(text)
        except sqlite3.Error as exc:
            raise _unavailable(exc, self._path) from exc


class SqliteConnector:
    """SQLite under the data dir; thread-safe (one connection per thread)."""

    dialect = "sqlite"

    def __init__(self, path: Path):
        self.path = Path(path)
        if self.path.parent.exists() and not self.path.parent.is_dir():
            raise StoreConfigError(f"{self.path.parent} is not a directory")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"cannot create {self.path.parent}: {exc.strerror or exc}") from None
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        con = self._connection()
        try:
            con.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as exc:
            raise _unavailable(exc, self.path) from exc

    def describe(self) -> str:
        return f"sqlite:{self.path}"

    def _connection(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            try:
                con = sqlite3.connect(self.path, isolation_level=None, detect_types=sqlite3.PARSE_DECLTYPES,
                                      timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
                con.execute("PRAGMA synchronous=FULL")
                con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            except sqlite3.Error as exc:
                raise _unavailable(exc, self.path) from exc
            self._local.con = con
            with self._lock:
                self._connections.append(con)
        return con

    @contextmanager
    def write(self) -> Iterator[_Session]:
        con = self._connection()
        try:
            con.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _unavailable(exc, self.path) from exc
        try:
            yield _Session(con, self.path)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        try:
            con.execute("COMMIT")
        except sqlite3.Error as exc:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise _unavailable(exc, self.path) from exc

    @contextmanager
    def read(self) -> Iterator[_Session]:
        yield _Session(self._connection(), self.path)

    def close(self) -> None:
        with self._lock:
            for con in self._connections:
                try:
                    con.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()
        self._local = threading.local()
