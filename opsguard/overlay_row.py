"""A node-change event (with its production record) as a `node_overlay` row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from evaluator.events import NodeChanged
from opsguard.store import OverlayRow

__all__ = ["overlay_row"]


def overlay_row(event: NodeChanged, received_at: datetime, *, node: dict[str, Any]) -> OverlayRow:
    """The row for `event`; `node` is the production record as snapshot `nodes` columns (empty: deleted)."""
    record = {k: v for k, v in node.items() if v is not None}
    record["node_id"] = event.node_id
    record.setdefault("project_id", event.project_id)
    change = event.code.value.removeprefix("node-change-")
    return OverlayRow(event.node_id, change, record.get("project_id"), record.get("modify_time"), received_at,
                      event.message_id or "", record)
