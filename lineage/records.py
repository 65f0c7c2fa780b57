"""DataWorks API records (CamelCase dicts, as the SDK's `to_map()` or a fixture gives them) →
snapshot columns (snake_case). One mapping, used by the sync and by fixture loading alike."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

__all__ = ["NODE_COLUMNS", "node_row", "instance_row", "bizdate_of", "DATAWORKS_TZ"]

# DataWorks returns bizdates and run times as epoch milliseconds in the region's local time;
# the Chinese regions (the common case) are UTC+8. Configurable through `bizdate_of(..., tz=)`.
DATAWORKS_TZ = timezone(timedelta(hours=8))

# snapshot column -> (API field, python type)
NODE_COLUMNS: dict[str, tuple[str, type]] = {
    "node_id": ("NodeId", int),
    "node_name": ("NodeName", str),
    "project_id": ("ProjectId", int),
    "cron_express": ("CronExpress", str),
    "scheduler_type": ("SchedulerType", str),
    "program_type": ("ProgramType", str),
    "owner_id": ("OwnerId", str),
    "priority": ("Priority", int),
    "baseline_id": ("BaselineId", int),
    "repeatability": ("Repeatability", bool),
    "res_group_name": ("ResGroupName", str),
    "res_group_identifier": ("ResGroupIdentifier", str),
    "business_id": ("BusinessId", int),
    "related_flow_id": ("RelatedFlowId", int),
    "file_id": ("FileId", int),
    "connection": ("Connection", str),
    "description": ("Description", str),
    "create_time": ("CreateTime", int),
    "modify_time": ("ModifyTime", int),
    "deploy_date": ("DeployDate", int),
}


def _convert(value: Any, kind: type) -> Any:
    if value is None or value == "":
        return None
    if kind is bool:
        if isinstance(value, str):
            return value.strip().lower() in {"true", "1", "yes"}
        return bool(value)
    if kind is int:
        return int(value)
    return str(value)


def node_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """Snapshot `nodes` columns of one API node record; unknown fields are dropped, missing are None."""
    return {col: _convert(record.get(api), kind) for col, (api, kind) in NODE_COLUMNS.items()}


_DATE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def bizdate_of(value: Any, tz: timezone = DATAWORKS_TZ) -> date:
    """A bizdate from what the API sends: epoch ms (local midnight) or a `yyyy-MM-dd[ HH:mm:ss]` string."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(int(value) / 1000, tz).date()
    if isinstance(value, str):
        match = _DATE_RE.match(value)
        if match:
            return date.fromisoformat(match.group(1))
    raise ValueError(f"unrecognised bizdate {value!r}")


def instance_row(record: Mapping[str, Any], tz: timezone = DATAWORKS_TZ) -> dict[str, Any]:
    """Snapshot `instances` columns of one API instance record."""
    return {
        "instance_id": _convert(record.get("InstanceId"), int),
        "node_id": int(record["NodeId"]),
        "bizdate": bizdate_of(record["Bizdate"], tz),
        "status": _convert(record.get("Status"), str),
        "begin_running_time": _convert(record.get("BeginRunningTime"), int),
        "finish_time": _convert(record.get("FinishTime"), int),
    }
