"""Snapshots built in code for the notebook API tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lineage.snapshot_writer import write_fixture_snapshot
from lineage.snapshots import SnapshotStore

DAILY = "00 10 00 * * ?"


def publish(data_dir: Path, fixture: dict[str, Any]) -> str:
    """Write `fixture` as a new snapshot of `data_dir`, make it the live one, return its id."""
    store = SnapshotStore(data_dir)
    return store.publish(write_fixture_snapshot(fixture, store.new_partial())).id


def small_fixture(names_suffix: str = "") -> dict[str, Any]:
    """1 → 2 → 3 and 2 → 4 (4 in workspace 20, hourly, frozen); 5 is MANUAL and feeds 3."""
    def n(node_id: int, name: str, **kw: Any) -> dict[str, Any]:
        return {"NodeId": node_id, "NodeName": name + names_suffix, "ProjectId": 10, "CronExpress": DAILY,
                "SchedulerType": "NORMAL", "ProgramType": "ODPS_SQL", "OwnerId": "ann", "Priority": 1, **kw}

    return {"projects": [{"ProjectId": 10, "ProjectName": "dw_trade"}, {"ProjectId": 20, "ProjectName": "dw_user"}],
            "nodes": [n(1, "ods_order", BaselineId=77), n(2, "dwd_order"), n(3, "dws_order_1d", Priority=8),
                      n(4, "ads_user_report", ProjectId=20, CronExpress="00 00 * * * ?", SchedulerType="PAUSE",
                        OwnerId="bob"),
                      n(5, "tmp_manual_fix", SchedulerType="MANUAL")],
            "edges": [[1, 2], [2, 3], [2, 4], [5, 3]],
            "instances": [{"InstanceId": 1, "NodeId": 1, "Bizdate": "2026-11-01", "Status": "SUCCESS",
                           "BeginRunningTime": 1_793_548_800_000, "FinishTime": 1_793_549_400_000}],
            "baselines": []}
