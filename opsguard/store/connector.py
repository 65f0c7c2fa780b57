"""The one seam between the store and a database driver: sessions that run named queries.

`Connector.write()` is one transaction (committed on success, rolled back on an error); `Connector.read()`
sees committed data. A `Session` runs `sql/<name>.sql` (in the connector's dialect) with named parameters
(`:name`) and hands rows back as dicts. Nothing above this seam knows which driver runs underneath.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

import sql

__all__ = ["Connector", "Session", "SessionBase", "split_statements"]


class Session(Protocol):
    """Named queries inside one transaction (or one read)."""

    def all(self, name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...

    def one(self, name: str, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None: ...

    def run(self, name: str, params: Mapping[str, Any] | None = None) -> int: ...

    def scalar(self, name: str, params: Mapping[str, Any] | None = None) -> Any: ...

    def statement(self, text: str) -> None: ...


class Connector(Protocol):
    """A database the store runs on."""

    dialect: str

    def write(self) -> AbstractContextManager[Session]: ...

    def read(self) -> AbstractContextManager[Session]: ...

    def describe(self) -> str: ...

    def close(self) -> None: ...


class SessionBase:
    """What every engine's session shares: `one`, `run` and `scalar` built on its `_execute` and `all`."""

    def _execute(self, name: str, params: Mapping[str, Any] | None) -> Any:
        raise NotImplementedError

    def all(self, name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        raise NotImplementedError

    def one(self, name: str, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        rows = self.all(name, params)
        return rows[0] if rows else None

    def run(self, name: str, params: Mapping[str, Any] | None = None) -> int:
        return int(self._execute(name, params).rowcount)

    def scalar(self, name: str, params: Mapping[str, Any] | None = None) -> Any:
        row = self.one(name, params)
        return next(iter(row.values())) if row else None


def query(name: str, dialect: str) -> str:
    """The text of a named query in a dialect."""
    return sql.load(name, dialect=dialect)


_COMMENT = re.compile(r"--[^\n]*")


def split_statements(text: str) -> Iterator[str]:
    """The statements of a migration file, comments dropped.

    >>> list(split_statements("CREATE TABLE a (x INT); -- note; more\\nCREATE INDEX i ON a (x);"))
    ['CREATE TABLE a (x INT)', 'CREATE INDEX i ON a (x)']
    """
    for part in _COMMENT.sub("", text).split(";"):
        if part.strip():
            yield part.strip()
