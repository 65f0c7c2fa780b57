"""The store engine for several replicas: PostgreSQL at `[server] state_url` (`postgresql://…`).

A small pool of connections (psycopg 3) shared by the threads of one process; each `write()` is one
transaction. Credentials come from the URL or from libpq's environment (`PGPASSWORD`, `PGPASSFILE`,
`PGSERVICE`…); `describe()` never includes a password. Queries are the store's named queries with `:name`
parameters, handed to psycopg as `%(name)s`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from opsguard.store.connector import SessionBase, query
from opsguard.store.errors import StoreConfigError, StoreError, StoreUnavailable

__all__ = ["PostgresConnector", "redact_url"]

_PARAM = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


def redact_url(url: str) -> str:
    """The URL without its password (for logs and messages).

    >>> redact_url("postgresql://opsguard:s3cret@db.internal:5432/opsguard?sslmode=require")
    'postgresql://opsguard:***@db.internal:5432/opsguard?sslmode=require'
    >>> redact_url("postgresql:///opsguard?host=/run/postgresql")
    'postgresql:///opsguard?host=/run/postgresql'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@cache
def _pg_text(name: str) -> str:
    """A named query, comments dropped, with `:name` parameters turned into psycopg's `%(name)s`.

    >>> _PARAM.sub(r"%(\\1)s", "WHERE a = :a AND b::TEXT = :b_2")
    'WHERE a = %(a)s AND b::TEXT = %(b_2)s'
    """
    text = _COMMENT.sub("", query(name, "postgres"))
    if "%" in text:
        raise StoreError(f"sql/{name}.sql holds a literal '%': pass patterns as parameters")
    return _PARAM.sub(r"%(\1)s", text)


class _Session(SessionBase):
    def __init__(self, cur: Any, where: str):
        self._cur, self._where = cur, where

    def _execute(self, name: str, params: Mapping[str, Any] | None) -> Any:
        import psycopg

        try:
            return self._cur.execute(_pg_text(name), dict(params or {}))
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"the state store {self._where}: {_first_line(exc)}") from exc
        except psycopg.Error as exc:
            raise StoreError(f"the state store {self._where}: {_first_line(exc)}") from exc

    def all(self, name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        cur = self._execute(name, params)
        return list(cur.fetchall()) if cur.description else []

    def statement(self, text: str) -> None:
        import psycopg

        try:
            self._cur.execute(text)
        except psycopg.Error as exc:
            raise StoreError(f"the state store {self._where}: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class PostgresConnector:
    """PostgreSQL through a psycopg connection pool (opened at once: a wrong URL fails at start)."""

    dialect = "postgres"

    def __init__(self, url: str, *, max_connections: int = 8, connect_timeout: float = 10.0):
        if not url.startswith(("postgresql://", "postgres://")):
            raise StoreConfigError(f"state_url must start with postgresql://, got {redact_url(url)!r}")
        import psycopg
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool, PoolTimeout

        self.url = url
        self._where = redact_url(url)
        self._pool = ConnectionPool(url, min_size=1, max_size=max_connections, open=False, name="opsguard-store",
                                    kwargs={"row_factory": dict_row, "options": "-c timezone=UTC",
                                            "connect_timeout": int(connect_timeout)})
        try:
            self._pool.open(wait=True, timeout=connect_timeout)
        except (PoolTimeout, psycopg.Error) as exc:
            self._pool.close()
            raise StoreUnavailable(f"cannot connect to the state store {self._where}: {_first_line(exc)}") from None

    def describe(self) -> str:
        return self._where

    @contextmanager
    def write(self) -> Iterator[_Session]:
        with self._connection() as con, con.transaction(), con.cursor() as cur:
            yield _Session(cur, self._where)

    @contextmanager
    def read(self) -> Iterator[_Session]:
        with self._connection() as con, con.cursor() as cur:
            yield _Session(cur, self._where)

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            with self._pool.connection(timeout=30.0) as con:
                yield con
        except (PoolTimeout, psycopg.OperationalError) as exc:
            raise StoreUnavailable(f"the state store {self._where} is unavailable: {_first_line(exc)}") from None

    @contextmanager
    def session_lock(self, key: int) -> Iterator[bool]:
        """Try to take PostgreSQL advisory lock `key` for the duration (one connection held); yields whether
        it was taken. Used so that only one replica runs a scheduled sync at a time."""
        with self._connection() as con:
            con.autocommit = True
            try:
                taken = bool(con.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()["pg_try_advisory_lock"])
                try:
                    yield taken
                finally:
                    if taken:
                        con.execute("SELECT pg_advisory_unlock(%s)", (key,))
            finally:
                con.autocommit = False

    def close(self) -> None:
        self._pool.close()
