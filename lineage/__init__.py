"""DataWorks lineage for opsguard: metadata snapshots, the cycle DAG, impact and backfill volume.

The friendly entry point for notebooks is `open_snapshot()` (runnable examples: `lineage.explore`):

    import lineage
    snap = lineage.open_snapshot()                  # the live snapshot of $OPSGUARD_HOME, read-only
    snap.find("ods_trade_order")                    # nodes by name, a DataFrame
    snap.impact([700000000101]).descendants         # what freezing the node would reach
    snap.backfill(700000000101, "2026-11-01", "2026-11-07").summary
    lineage.draw_subdag(snap, [700000000101])       # a picture, layered by depth

Names are imported on first use (PEP 562), so `import lineage` stays fast; matplotlib loads only
when a picture is drawn, networkx only for `Snapshot.networkx()`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lineage.backfill import BackfillEstimate, BackfillRequest, BizdatePeriod, estimate_backfill
    from lineage.draw import draw_subdag
    from lineage.errors import LineageError, SnapshotError, UnknownNodeError
    from lineage.explore import Snapshot, open_snapshot
    from lineage.frames import BackfillResult, ImpactResult, backfill_result, impact_result
    from lineage.graph import LineageGraph, NodeId, NodeInfo
    from lineage.impact import Impact, compute_impact
    from lineage.snapshots import SnapshotStore, default_data_dir

#: public name → the module that defines it
_EXPORTS = {
    "open_snapshot": "lineage.explore",
    "Snapshot": "lineage.explore",
    "draw_subdag": "lineage.draw",
    "ImpactResult": "lineage.frames",
    "BackfillResult": "lineage.frames",
    "impact_result": "lineage.frames",
    "backfill_result": "lineage.frames",
    "LineageGraph": "lineage.graph",
    "NodeId": "lineage.graph",
    "NodeInfo": "lineage.graph",
    "Impact": "lineage.impact",
    "compute_impact": "lineage.impact",
    "BackfillEstimate": "lineage.backfill",
    "BackfillRequest": "lineage.backfill",
    "BizdatePeriod": "lineage.backfill",
    "estimate_backfill": "lineage.backfill",
    "SnapshotStore": "lineage.snapshots",
    "default_data_dir": "lineage.snapshots",
    "LineageError": "lineage.errors",
    "SnapshotError": "lineage.errors",
    "UnknownNodeError": "lineage.errors",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lineage' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
