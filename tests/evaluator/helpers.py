"""Small graphs and events for the evaluator tests, built so the right answer is obvious."""

from __future__ import annotations

import json
from importlib import resources
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from lineage.graph import LineageGraph

# The shared sample messages, as shipped in the package for `opsguard demo`.
SAMPLES = Path(str(resources.files("evaluator").joinpath("demo_samples")))
SAMPLE_NAMES = ("freeze-node", "unfreeze-node", "undeploy-node", "backfill-data", "node-change-updated")
NOW = datetime(2026, 11, 20, 2, 14, 8, tzinfo=UTC)   # 10:14 in UTC+8: today's bizdate run = 2026-11-19
SYNCED = datetime(2026, 11, 20, 1, 0, 0, tzinfo=UTC)
PROJECT = 215001
OPERATOR = "203100000000042"


def sample(name: str) -> dict[str, Any]:
    """A copy of a shared sample message (tests may change it)."""
    return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def documented_freeze(**data: Any) -> dict[str, Any]:
    """The documentation's own freeze example: no eventCode inside data, the envelope type names it."""
    message = sample("freeze-node")
    del message["data"]["eventCode"]
    message["data"].update(data)
    return message


def node(node_id: int, **fields: Any) -> dict[str, Any]:
    """A NORMAL daily node in PROJECT named n<id>, owned by the operator unless told otherwise."""
    record = {"node_id": node_id, "node_name": f"n{node_id}", "project_id": PROJECT, "cron_express": "00 10 00 * * ?",
              "scheduler_type": "NORMAL", "program_type": "ODPS_SQL", "owner_id": OPERATOR, "priority": 1}
    record.update(fields)
    return record


def graph(nodes: Iterable[Mapping[str, Any]], edges: Iterable[tuple[int, int]], *,
          instances: Iterable[Mapping[str, Any]] = (), baselines: Mapping[int, Iterable[int]] | None = None,
          synced_at: datetime | None = SYNCED) -> LineageGraph:
    return LineageGraph.from_records(list(nodes), list(edges), instances=list(instances), baselines=baselines,
                                     snapshot_id="test", synced_at=synced_at)


def chain(length: int, *, first: int = 1, **fields: Any) -> tuple[list[dict[str, Any]], list[tuple[int, int]]]:
    """Nodes first .. first+length, each the child of the one before (root = first)."""
    ids = list(range(first, first + length + 1))
    return [node(i, **fields) for i in ids], list(zip(ids, ids[1:]))


def runs(node_id: int, bizdates: Iterable[date], *, status: str = "SUCCESS", minutes: float = 10) -> list[dict]:
    """Instance history rows: one run per bizdate taking `minutes`."""
    rows = []
    for bizdate in bizdates:
        begin = int(datetime(bizdate.year, bizdate.month, bizdate.day, 18, tzinfo=UTC).timestamp() * 1000)
        rows.append({"node_id": node_id, "bizdate": bizdate, "status": status, "begin_running_time": begin,
                     "finish_time": begin + int(minutes * 60_000)})
    return rows


def op(code: str, *node_ids: int, operator: str = OPERATOR, project_id: int = PROJECT, **extra: Any) -> dict:
    """A bare `data` object of a node operation."""
    return {"eventCode": code, "operator": operator, "projectId": project_id, "tenantId": 1,
            "nodeIds": list(node_ids), "extensionBizId": "ebz-test", **extra}


def backfill(root: int, periods: list[tuple[str, str]], *, include: list[int] | None = None,
             exclude: list[int] | None = None, operator: str = OPERATOR, **extra: Any) -> dict:
    """A bare `data` object of a backfill; include/exclude left out when None."""
    data = {"eventCode": "backfill-data", "name": "P_test", "rootNodeId": root, "rootNodeProjectId": PROJECT,
            "projectId": PROJECT, "tenantId": 1, "operator": operator, "useMultipleTimePeriods": len(periods) > 1,
            "multipleTimePeriods": json.dumps([{"bizBeginTime": b, "bizEndTime": e} for b, e in periods]),
            "isParallel": False, "parallelGroup": 1, "order": "asc", "startFutureInstanceImmediately": False,
            "extensionBizId": "ebz-test", **extra}
    if include is not None:
        data["includeNodeIds"] = include
    if exclude is not None:
        data["excludeNodeIds"] = exclude
    return data
