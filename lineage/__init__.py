"""DataWorks lineage for opsguard: metadata snapshots, the cycle DAG, impact and backfill volume.

The friendly entry point for notebooks is `open_snapshot()` (runnable examples: `lineage.explore`).
Nodes go by id or by name (a name several nodes share raises `AmbiguousNodeError` listing them):

    import lineage
    snap = lineage.open_snapshot()                  # the live snapshot of $OPSGUARD_HOME, read-only
    snap.node("ods_trade_order_di")                 # one node's attributes
    snap.impact(["ods_trade_order_di"]).descendants # what freezing it would reach
    snap.explain("ods_trade_order_di", "ads_trade_report")   # why that node is downstream
    snap.backfill("ods_trade_order_di", "2026-11-01", "2026-11-07").summary   # hours and wall clock
    lineage.draw_subdag(snap, ["ods_trade_order_di"])        # a picture, one colour per workspace

Names are imported on first use (PEP 562), so `import lineage` stays fast; matplotlib loads only
when a picture is drawn, networkx only for `Snapshot.networkx()`. `dir(lineage)` lists the API.
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

if _TYPE_CHECKING:
    from lineage.backfill import BackfillEstimate, BackfillRequest, BizdatePeriod, estimate_backfill
    from lineage.draw import draw_subdag, workspace_color, workspace_colors
    from lineage.errors import (AmbiguousNodeError, LineageError, NotDownstreamError, SnapshotError,
                                UnknownNodeError, UnknownNodeNameError)
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
    "workspace_colors": "lineage.draw",
    "workspace_color": "lineage.draw",
    "AmbiguousNodeError": "lineage.errors",
    "UnknownNodeNameError": "lineage.errors",
    "NotDownstreamError": "lineage.errors",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lineage' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    """The public API only: not the helpers of this module, nor the submodules imported so far."""
    return sorted(__all__)
