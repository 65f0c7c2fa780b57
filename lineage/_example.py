"""A five-node snapshot for the runnable examples of `lineage.explore` (two workspaces, one MANUAL node).

Published once per process in a temporary data dir that goes when the process ends.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lineage.explore import Snapshot

__all__ = ["example_snapshot", "EXAMPLE"]

EXAMPLE = {
    "projects": [{"ProjectId": 10, "ProjectName": "dw_trade"}, {"ProjectId": 20, "ProjectName": "dw_user"}],
    "nodes": [
        {"NodeId": 1, "NodeName": "ods_order", "ProjectId": 10, "CronExpress": "00 05 00 * * ?", "BaselineId": 77,
         "OwnerId": "ann"},
        {"NodeId": 2, "NodeName": "dwd_order", "ProjectId": 10, "CronExpress": "00 10 01 * * ?", "OwnerId": "ann"},
        {"NodeId": 3, "NodeName": "dws_order_1d", "ProjectId": 10, "CronExpress": "00 30 02 * * ?", "Priority": 8,
         "OwnerId": "bob"},
        {"NodeId": 4, "NodeName": "ads_user_report", "ProjectId": 20, "CronExpress": "00 00 * * * ?",
         "OwnerId": "bob"},
        {"NodeId": 5, "NodeName": "tmp_manual_fix", "ProjectId": 10, "SchedulerType": "MANUAL"},
    ],
    "edges": [[1, 2], [2, 3], [2, 4], [5, 3]],
    "instances": [{"InstanceId": 1, "NodeId": 1, "Bizdate": "2026-11-01", "Status": "SUCCESS",
                   "BeginRunningTime": 1_793_548_800_000, "FinishTime": 1_793_549_400_000}],
}

_home: tempfile.TemporaryDirectory[str] | None = None


def example_snapshot() -> Snapshot:
    """The example snapshot, opened afresh (written on the first call)."""
    global _home
    from lineage import snapshots
    from lineage.explore import open_snapshot
    from lineage.snapshot_writer import write_fixture_snapshot

    if _home is None:
        home = tempfile.TemporaryDirectory(prefix="opsguard-example-")
        store = snapshots.SnapshotStore(home.name)
        store.publish(write_fixture_snapshot(EXAMPLE, store.new_partial(datetime(2026, 11, 2))))
        _home = home
    return open_snapshot(_home.name)
