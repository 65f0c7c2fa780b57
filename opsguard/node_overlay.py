"""The node overlay between the store and a graph: a node-change event (with its production record) as a
`node_overlay` row, and a graph caught up with the rows stored since it was built."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from evaluator.events import NodeChanged
from lineage.live import GraphHolder
from lineage.overlay import NodeChange
from opsguard.store import OverlayRow, Store

__all__ = ["overlay_row", "catch_up"]


def overlay_row(event: NodeChanged, received_at: datetime, *, node: dict[str, Any]) -> OverlayRow:
    """The row for `event`; `node` is the production record as snapshot `nodes` columns (empty: deleted)."""
    record = {k: v for k, v in node.items() if v is not None}
    record["node_id"] = event.node_id
    record.setdefault("project_id", event.project_id)
    change = event.code.value.removeprefix("node-change-")
    return OverlayRow(event.node_id, change, record.get("project_id"), record.get("modify_time"), received_at,
                      event.message_id or "", record)


def catch_up(graphs: GraphHolder, store: Store) -> None:
    """Lay over `graphs` every node change the store holds beyond the graph's version (one read when none)."""
    if store.overlay_version() > graphs.overlay_version:
        rows = store.overlay_since(graphs.overlay_version)
        graphs.apply([NodeChange(r.node_id, r.change, r.node, r.seq, r.received_at) for r in rows])
