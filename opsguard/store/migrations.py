"""Versioned schema changes, run at start: `sql/store_migration_NNNN.sql`, each once, in order.

The applied versions are rows of `store_migrations`. All pending steps run in one transaction: a
failure leaves the store as it was. On PostgreSQL the step holds a transaction-scoped advisory lock, so
replicas starting together migrate once; on SQLite the write transaction itself is exclusive.
"""

from __future__ import annotations

import logging

import sql
from opsguard.store.connector import Connector, split_statements
from opsguard.store.rows import utcnow

__all__ = ["migrate", "MIGRATION_PREFIX", "latest_version"]

log = logging.getLogger(__name__)
MIGRATION_PREFIX = "store_migration_"
_LOCK_KEY = 0x6F707367   # "opsg": PostgreSQL advisory lock of migrations
_BOOKKEEPING = ("CREATE TABLE IF NOT EXISTS store_migrations "
                "(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")


def _steps() -> list[tuple[int, str]]:
    return [(int(name.removeprefix(MIGRATION_PREFIX)), name) for name in sql.names(MIGRATION_PREFIX)]


def latest_version() -> int:
    """The schema version this code expects.

    >>> latest_version() >= 2
    True
    """
    return max(version for version, _ in _steps())


def migrate(connector: Connector) -> list[int]:
    """Apply the pending migrations; the versions applied (empty when the schema is current)."""
    applied: list[int] = []
    with connector.write() as session:
        if connector.dialect == "postgres":
            session.statement(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")
        session.statement(_BOOKKEEPING)
        done = {row["version"] for row in session.all("store_migrations_applied")}
        newer = max(done, default=0)
        if newer > latest_version():
            from opsguard.store.errors import StoreConfigError

            raise StoreConfigError(f"the state store {connector.describe()} is at schema version {newer}, newer "
                                   f"than this opsguard knows ({latest_version()}): upgrade opsguard")
        for version, name in _steps():
            if version in done:
                continue
            for statement in split_statements(sql.load(name, dialect=connector.dialect)):
                session.statement(statement)
            session.run("store_migrations_record", {"version": version, "applied_at": utcnow()})
            applied.append(version)
    if applied:
        log.info("state store %s migrated to version %d", connector.describe(), applied[-1])
    return applied
