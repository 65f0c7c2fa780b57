"""`GraphData` from plain records (hand-built graphs for tests, notebooks and examples).

The same answers as the snapshot queries in `sql/graph_*.sql`, computed in Python and numpy so a
small graph builds in about a millisecond: nodes in node_id order get dense positions; edges are
deduplicated and sorted by parent; baseline membership is the given lists plus each node's own
`baseline_id`; run times are medians of finished instances (successful ones when there are any).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from lineage.errors import UnknownNodeError
from lineage.graph_load import GraphData

__all__ = ["load_records"]

_NODES = pa.schema([("idx", pa.int32()), ("node_id", pa.int64()), ("node_name", pa.string()),
                    ("project_id", pa.int64()), ("cron_express", pa.string()), ("scheduler_type", pa.string()),
                    ("program_type", pa.string()), ("owner_id", pa.string()), ("priority", pa.int32()),
                    ("baseline_id", pa.int64()), ("listed", pa.bool_())])
_HISTORY = pa.schema([("idx", pa.int32()), ("bizdate", pa.date32()), ("status", pa.string())])


def load_records(nodes: Iterable[Mapping[str, Any]], edges: Iterable[tuple[int, int]],
                 instances: Iterable[Mapping[str, Any]], baselines: Mapping[int, Iterable[int]] | None,
                 snapshot_id: str, synced_at: datetime | None) -> GraphData:
    """The graph data of snake_case node/instance records (see `LineageGraph.from_records`)."""
    rows = sorted((_node_row(n) for n in nodes), key=lambda r: r["node_id"])
    ids = [r["node_id"] for r in rows]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate node ids in records: {sorted(i for i, k in Counter(ids).items() if k > 1)[:5]}")
    for i, row in enumerate(rows):
        row["idx"] = i
    position = {node_id: i for i, node_id in enumerate(ids)}
    pairs = sorted({(int(p), int(c)) for p, c in edges})
    dangling = sorted({n for pair in pairs for n in pair if n not in position})
    if dangling:
        raise UnknownNodeError(dangling)
    edge_pos = sorted((position[p], position[c]) for p, c in pairs)
    members = {(int(b), int(n)) for b, node_ids in (baselines or {}).items() for n in node_ids}
    members |= {(r["baseline_id"], r["node_id"]) for r in rows if r["baseline_id"] is not None and r["baseline_id"] > 0}
    member_pos = sorted((position[n], b) for b, n in members if n in position)
    runs = [_instance_row(r) for r in instances]
    runtimes = _runtimes(rows, position, runs)
    history = _history(position, runs)
    return GraphData(
        snapshot_id=snapshot_id, synced_at=synced_at,
        history_to=max((r["bizdate"] for r in runs), default=None),
        nodes=pa.Table.from_pylist(rows, schema=_NODES),
        parent=np.array([p for p, _ in edge_pos], dtype=np.int32),
        child=np.array([c for _, c in edge_pos], dtype=np.int32),
        member_idx=np.array([i for i, _ in member_pos], dtype=np.int32),
        member_baseline=np.array([b for _, b in member_pos], dtype=np.int64),
        runtimes=runtimes, history=lambda: history)


def _node_row(record: Mapping[str, Any]) -> dict[str, Any]:
    row = {col: record.get(col) for col in _NODES.names if col != "idx"}
    row["node_id"] = int(record["node_id"])
    row["scheduler_type"] = record.get("scheduler_type", "NORMAL")
    row["listed"] = bool(record.get("listed", True))
    return row


def _instance_row(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"node_id": int(record["node_id"]), "bizdate": record["bizdate"], "status": record.get("status"),
            "begin": record.get("begin_running_time"), "finish": record.get("finish_time"),
            "instance_id": record.get("instance_id")}


def _runtimes(rows: list[dict[str, Any]], position: dict[int, int], runs: list[dict[str, Any]]) -> pa.Table:
    """sql/graph_runtimes.sql: per-node median, same-workspace-and-program-type median, last success."""
    finished: dict[int, list[tuple[bool, int]]] = defaultdict(list)
    last_success: dict[int, date] = {}
    for r in runs:
        i = position.get(r["node_id"])
        if i is None:
            continue
        if r["begin"] is not None and r["finish"] is not None and r["finish"] >= r["begin"]:
            finished[i].append((r["status"] == "SUCCESS", r["finish"] - r["begin"]))
        if r["status"] == "SUCCESS" and (i not in last_success or r["bizdate"] > last_success[i]):
            last_success[i] = r["bizdate"]
    median: list[float | None] = [None] * len(rows)
    for i, durations in finished.items():
        good = [ms for ok, ms in durations if ok]
        median[i] = statistics.median(good or [ms for _, ms in durations]) / 1000.0
    groups: dict[tuple[Any, Any], list[float]] = defaultdict(list)
    for row, m in zip(rows, median):
        if m is not None:
            groups[(row["project_id"], row["program_type"])].append(m)
    group_median = [statistics.median(groups[key]) if (key := (r["project_id"], r["program_type"])) in groups
                    else None for r in rows]
    return pa.table({"idx": pa.array(range(len(rows)), pa.int32()), "median_seconds": pa.array(median, pa.float64()),
                     "group_median_seconds": pa.array(group_median, pa.float64()),
                     "last_success_bizdate": pa.array([last_success.get(i) for i in range(len(rows))], pa.date32())})


def _history(position: dict[int, int], runs: list[dict[str, Any]]) -> pa.Table:
    """sql/graph_history.sql: (idx, bizdate, status) grouped by node, oldest first."""
    known = [(position[r["node_id"]], r) for r in runs if r["node_id"] in position]
    known.sort(key=lambda x: (x[0], x[1]["bizdate"], x[1]["begin"] is None, x[1]["begin"] or 0,
                              x[1]["instance_id"] or 0))
    return pa.Table.from_pylist([{"idx": i, "bizdate": r["bizdate"], "status": r["status"]} for i, r in known],
                                schema=_HISTORY)
