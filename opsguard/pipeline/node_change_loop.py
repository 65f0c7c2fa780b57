"""Node changes reach verdicts only once DataWorks confirms them in production.

DataWorks sends `node-change-updated` for edits in the development environment too, and the payload does
not say which. So before a node change is laid over the snapshot, this worker asks for the node's
production record (`GetNode`, `ProjectEnv=PROD`):

- created / updated: applied — as production's record — when production shows what the event says (every
  scheduling field the event carries: name, workspace, cron, scheduler type, owner, priority, baseline…);
  when production has no such node or shows other values, the change is not in production (a development
  edit, or an older record overtaken by a newer one) → `discarded`, and no verdict changes;
- deleted: applied when production no longer has the node, else `discarded` (a development deletion).

An unreachable API leaves the change `accepted` and due again after a backoff.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Protocol

from evaluator.events import EventParseError, NodeChanged, parse_event
from lineage.errors import DataWorksError
from lineage.overlay import OVERLAY_COLUMNS
from lineage.records import node_row
from opsguard.node_overlay import overlay_row
from opsguard.pipeline.leases import lease_until
from opsguard.store import EventKind, InboxRow, InboxStatus, OverlayRow, Store, utcnow

__all__ = ["NodeChangeLoop", "NodeReader"]

log = logging.getLogger(__name__)
RETRY_SECONDS = 30.0


class NodeReader(Protocol):
    def get_node(self, node_id: int) -> dict[str, Any] | None: ...


class NodeChangeLoop:
    """`run_once()` confirms the node changes that can be claimed now."""

    def __init__(self, store: Store, client: NodeReader, worker: str, metrics: Any, *, batch: int = 16,
                 lease_seconds: float = 20.0):
        self.store, self.client, self.worker, self.metrics = store, client, worker, metrics
        self.batch, self.lease_seconds = batch, lease_seconds

    def run_once(self) -> int:
        now = utcnow()
        if not self.store.has_work(EventKind.NODE_CHANGE, InboxStatus.ACCEPTED, now):
            return 0
        rows = self.store.claim(EventKind.NODE_CHANGE, InboxStatus.ACCEPTED, self.worker, now,
                                lease_until(self.lease_seconds, now), self.batch)
        for row in rows:
            self._confirm(row)
        return len(rows)

    def _confirm(self, row: InboxRow) -> None:
        try:
            event = parse_event(row.raw)
        except EventParseError as exc:
            self._finish(row, None, f"the message cannot be read: {exc}")
            return
        if not isinstance(event, NodeChanged):
            self._finish(row, None, f"{row.event_code} is not a node change")
            return
        try:
            production = self.client.get_node(event.node_id)
        except DataWorksError as exc:
            log.warning("cannot confirm node change %s of node %d in production (%s); trying again in %g s",
                        row.message_id, event.node_id, exc, RETRY_SECONDS)
            self.metrics.inc("node_changes", outcome="retry")
            self.store.retry_later(row.message_id, self.worker, utcnow() + timedelta(seconds=RETRY_SECONDS))
            return
        change = event.code.value.removeprefix("node-change-")
        if change == "deleted":
            if production is None:
                self._finish(row, overlay_row(event, row.received_at, node={}), None)
            else:
                self._finish(row, None, "production still has the node: a development-environment deletion")
            return
        if production is None:
            self._finish(row, None, "production has no such node: a development-environment change")
            return
        record = node_row(production)
        claimed = event.node_row()
        differs = sorted(c for c in OVERLAY_COLUMNS if claimed.get(c) is not None and claimed[c] != record.get(c))
        if differs:
            self._finish(row, None, f"production differs from the event in {', '.join(differs)}: a "
                                    "development-environment edit, or a record a newer change overtook")
            return
        self._finish(row, overlay_row(event, row.received_at, node=record), None)

    def _finish(self, row: InboxRow, overlay: OverlayRow | None, reason: str | None) -> None:
        self.store.finish_node_change(row.message_id, self.worker, overlay, reason, utcnow())
        self.metrics.inc("node_changes", outcome="applied" if overlay is not None else "discarded")
        if overlay is None:
            log.info("node change %s discarded: %s", row.message_id, reason)
