"""API records as the SDK models read them, built from fixture records.

Node fields a sync stores pass through as the fixture has them (absent -> null), so a
snapshot synced through the emulator equals one written straight from the fixture; fields
no one stores get DataWorks-like defaults. Instance ``Bizdate``/``CycTime`` are epoch ms
(UTC+8 wall clock, as the API in the cn-* regions returns them).
"""

from __future__ import annotations

_DAY_MS = 86_400_000


def render_node(node: dict) -> dict:
    """A ``ListNodes``/``GetNode`` record.

    Fields a sync stores are passed through as the fixture has them (absent -> null), so a
    synced snapshot equals one written from the fixture; the others get DataWorks-like defaults.
    """
    get = node.get
    repeat = get("Repeatability", True)
    return {
        "NodeId": node["NodeId"], "NodeName": node["NodeName"], "ProjectId": node["ProjectId"],
        "CronExpress": get("CronExpress"), "SchedulerType": node["SchedulerType"],
        "ProgramType": get("ProgramType"), "OwnerId": get("OwnerId"), "Priority": get("Priority"),
        "BaselineId": get("BaselineId"), "Repeatability": repeat, "ResGroupName": get("ResGroupName"),
        "ResGroupIdentifier": get("ResGroupIdentifier"), "Connection": get("Connection"),
        "Description": get("Description"), "BusinessId": get("BusinessId"), "RelatedFlowId": get("RelatedFlowId"),
        "FileId": get("FileId"), "CreateTime": get("CreateTime"), "ModifyTime": get("ModifyTime"),
        "DeployDate": get("DeployDate"), "ParamValues": get("ParamValues", ""),
        "FileType": get("FileType", 10), "FileVersion": get("FileVersion", 1), "DqcType": get("DqcType", 0),
        "DqcDescription": get("DqcDescription", ""), "RepeatMode": get("RepeatMode", 1 if repeat else 0),
        "RepeatInterval": get("RepeatInterval", 60000),
    }


def render_relative(node: dict) -> dict:
    """A ``GetNodeParents``/``GetNodeChildren`` record."""
    get = node.get
    return {"NodeId": node["NodeId"], "NodeName": node["NodeName"], "ProjectId": node["ProjectId"],
            "CronExpress": get("CronExpress"), "SchedulerType": node["SchedulerType"],
            "OwnerId": get("OwnerId"), "Priority": get("Priority"), "BaselineId": get("BaselineId"),
            "ProgramType": get("ProgramType"), "Repeatability": get("Repeatability", True)}


def render_instance(inst: dict, node: dict | None, bizdate_ms: int) -> dict:
    get = (node or {}).get
    cyc = inst.get("CycTime") or bizdate_ms + _DAY_MS
    begin = inst.get("BeginRunningTime")
    return {
        "InstanceId": inst["InstanceId"], "NodeId": inst["NodeId"], "NodeName": get("NodeName", ""),
        "Bizdate": bizdate_ms, "CycTime": cyc, "Status": inst["Status"], "BeginWaitTimeTime": cyc,
        "BeginWaitResTime": begin, "BeginRunningTime": begin, "FinishTime": inst.get("FinishTime"),
        "DagType": "SCHEDULER", "TaskType": get("SchedulerType", "NORMAL"), "Priority": get("Priority", 1),
        "BaselineId": get("BaselineId"), "Repeatability": get("Repeatability", True),
        "BusinessId": get("BusinessId"), "RelatedFlowId": get("RelatedFlowId", get("BusinessId")),
        "ParamValues": get("ParamValues", ""), "Connection": get("Connection", ""),
        "DqcType": get("DqcType", 0), "CreateTime": cyc - _DAY_MS, "ModifyTime": inst.get("FinishTime") or cyc,
    }
