"""The service's transactional store: inbox, verdicts, deliveries, node overlay, refused requests.

Two engines behind one `Store`: SQLite at `<data-dir>/state.sqlite` (the embedded default) and
PostgreSQL at `[server] state_url` (several replicas). DuckDB stays for the metadata snapshots only.

>>> import tempfile, pathlib
>>> store = open_store(data_dir=pathlib.Path(tempfile.mkdtemp()))
>>> store.describe().endswith("state.sqlite"), store.backlog()
(True, {'accepted': 0, 'judged': 0})
>>> store.close()
"""

from __future__ import annotations

from pathlib import Path

from opsguard.store.errors import StoreConfigError, StoreError, StoreUnavailable
from opsguard.store.migrations import migrate
from opsguard.store.rows import (CheckSummary, DeliveryOutcome, DeliveryRow, EventKind, InboxRow, InboxStatus,
                                 OverlayRow, Pruned, RejectedRow, VerdictRow, utcnow)
from opsguard.store.sqlite import STATE_FILE, SqliteConnector
from opsguard.store.store import Attempt, ReportClaim, Store

__all__ = ["open_store", "Store", "StoreError", "StoreUnavailable", "StoreConfigError", "STATE_FILE",
           "Attempt", "ReportClaim", "CheckSummary", "DeliveryOutcome", "DeliveryRow", "EventKind", "InboxRow",
           "InboxStatus", "OverlayRow", "Pruned", "RejectedRow", "VerdictRow", "utcnow"]


def open_store(*, data_dir: Path | None = None, state_url: str = "", migrate_schema: bool = True) -> Store:
    """The store of a data dir (SQLite) or at `state_url` (PostgreSQL), its schema migrated to this version."""
    if state_url:
        from opsguard.store.postgres import PostgresConnector

        connector = PostgresConnector(state_url)
    elif data_dir is not None:
        connector = SqliteConnector(Path(data_dir) / STATE_FILE)
    else:
        raise StoreConfigError("open_store needs a data dir or a state_url")
    if migrate_schema:
        try:
            migrate(connector)
        except BaseException:
            connector.close()
            raise
    return Store(connector)
