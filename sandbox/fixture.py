"""Loading and validating workspace fixture files.

A bad fixture must give a one-line reason naming the file and the problem (missing key,
wrong type, edge naming an unknown node, duplicate NodeId, ...), never a traceback:
``load_workspace`` raises ``WorkspaceFixtureError`` for all of them.

Required: ``projects``, ``nodes``, ``edges``; ``instances``, ``baselines``, ``options`` and ``members``
(project id as text → ListProjectMembers records) default to empty. Extra keys are kept as they are.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, NoReturn

__all__ = ["WorkspaceFixtureError", "load_workspace", "validate_workspace"]

_BIZDATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TOP_REQUIRED = ("projects", "nodes", "edges")
_TOP_OPTIONAL = {"instances": list, "baselines": list, "options": dict, "members": dict}


class WorkspaceFixtureError(ValueError):
    """The fixture file cannot be used; ``str()`` is one line naming the file and the problem."""

    def __init__(self, source: str, problem: str):
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


def load_workspace(path: str | os.PathLike) -> dict:
    """Read and validate a fixture JSON file."""
    source = os.fspath(path)
    try:
        with open(source, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise WorkspaceFixtureError(source, f"cannot read file: {e.strerror or e}") from None
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise WorkspaceFixtureError(source, f"not valid JSON: {e}") from None
    return validate_workspace(data, source)


def validate_workspace(data: Any, source: str = "<fixture>") -> dict:
    """Check a fixture dict; fill optional sections; return it.

    >>> validate_workspace({"projects": [{"ProjectId": 1}], "nodes": [], "edges": []})["instances"]
    []
    >>> validate_workspace({"projects": [], "nodes": [], "edges": [[1, 2]]}, "ws.json")
    Traceback (most recent call last):
    ...
    sandbox.fixture.WorkspaceFixtureError: ws.json: edges[0]: names unknown node 1
    """
    if not isinstance(data, dict):
        raise WorkspaceFixtureError(source, f"top level must be a JSON object, got {_kind(data)}")
    for key in _TOP_REQUIRED:
        if key not in data:
            raise WorkspaceFixtureError(source, f"missing key {key!r}")
        if not isinstance(data[key], list):
            raise WorkspaceFixtureError(source, f"{key!r} must be a list, got {_kind(data[key])}")
    for key, typ in _TOP_OPTIONAL.items():
        data.setdefault(key, typ())
        if not isinstance(data[key], typ):
            raise WorkspaceFixtureError(source, f"{key!r} must be a {'list' if typ is list else 'object'}, "
                                                f"got {_kind(data[key])}")
    fail = _Reporter(source)
    projects = _check_projects(data["projects"], fail)
    nodes = _check_nodes(data["nodes"], projects, fail)
    _check_edges(data["edges"], nodes, fail)
    _check_instances(data["instances"], nodes, fail)
    _check_baselines(data["baselines"], nodes, fail)
    for key, value in data["options"].items():
        if not isinstance(value, str):
            fail(f"options[{key!r}]", f"must be a JSON string, got {_kind(value)}")
        if not key.isdigit() or int(key) not in projects:
            fail(f"options[{key!r}]", "names an unknown project")
    _check_members(data["members"], projects, fail)
    return data


class _Reporter:
    def __init__(self, source: str):
        self.source = source

    def __call__(self, where: str, problem: str) -> NoReturn:
        raise WorkspaceFixtureError(self.source, f"{where}: {problem}")


def _kind(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null",
            int: "integer", float: "number"}.get(type(value), type(value).__name__)


def _is_id(value: Any) -> bool:
    return type(value) is int  # bool is not an id


def _record(items: list, i: int, section: str, fail: _Reporter, required: dict[str, Any]) -> dict:
    rec = items[i]
    if not isinstance(rec, dict):
        fail(f"{section}[{i}]", f"must be an object, got {_kind(rec)}")
    for key, check in required.items():
        if key not in rec:
            fail(f"{section}[{i}]", f"missing key {key!r}")
        if not check(rec[key]):
            fail(f"{section}[{i}].{key}", f"wrong type {_kind(rec[key])}")
    return rec


def _check_projects(items: list, fail: _Reporter) -> set[int]:
    seen: set[int] = set()
    for i in range(len(items)):
        rec = _record(items, i, "projects", fail, {"ProjectId": _is_id})
        for key in ("ProjectName", "ProjectIdentifier"):
            if key in rec and not isinstance(rec[key], str):
                fail(f"projects[{i}].{key}", f"wrong type {_kind(rec[key])}")
        if rec["ProjectId"] in seen:
            fail(f"projects[{i}]", f"duplicate ProjectId {rec['ProjectId']}")
        seen.add(rec["ProjectId"])
    return seen


_NODE_REQUIRED = {"NodeId": _is_id, "NodeName": lambda v: isinstance(v, str), "ProjectId": _is_id,
                  "SchedulerType": lambda v: isinstance(v, str)}
_NODE_OPTIONAL = {"CronExpress": str, "ProgramType": str, "OwnerId": str, "Priority": int, "BaselineId": int,
                  "Repeatability": bool, "ResGroupName": str}


def _check_nodes(items: list, projects: set[int], fail: _Reporter) -> set[int]:
    seen: set[int] = set()
    for i in range(len(items)):
        rec = _record(items, i, "nodes", fail, _NODE_REQUIRED)
        for key, typ in _NODE_OPTIONAL.items():
            value = rec.get(key)
            if value is not None and not isinstance(value, typ):
                fail(f"nodes[{i}].{key}", f"wrong type {_kind(value)}")
        node_id = rec["NodeId"]
        if node_id in seen:
            fail(f"nodes[{i}]", f"duplicate NodeId {node_id}")
        if rec["ProjectId"] not in projects:
            fail(f"nodes[{i}]", f"NodeId {node_id} names unknown ProjectId {rec['ProjectId']}")
        seen.add(node_id)
    return seen


def _check_edges(items: list, nodes: set[int], fail: _Reporter) -> None:
    for i, edge in enumerate(items):
        if not (isinstance(edge, list) and len(edge) == 2 and _is_id(edge[0]) and _is_id(edge[1])):
            fail(f"edges[{i}]", "must be [parent_id, child_id] with integer ids")
        for node_id in edge:
            if node_id not in nodes:
                fail(f"edges[{i}]", f"names unknown node {node_id}")
        if edge[0] == edge[1]:
            fail(f"edges[{i}]", f"node {edge[0]} depends on itself")


def _check_instances(items: list, nodes: set[int], fail: _Reporter) -> None:
    """Fast path for the common case (millions of well-formed records); details on the first bad one."""
    required = {"InstanceId": _is_id, "NodeId": _is_id, "Bizdate": lambda v: isinstance(v, str),
                "Status": lambda v: isinstance(v, str)}
    good_dates: set[str] = set()
    seen: set[int] = set()
    for i, rec in enumerate(items):
        try:
            ok = (type(rec["InstanceId"]) is int and type(rec["NodeId"]) is int
                  and type(rec["Bizdate"]) is str and type(rec["Status"]) is str)
        except (KeyError, TypeError):
            ok = False
        if not ok:
            _record(items, i, "instances", fail, required)
        if rec["NodeId"] not in nodes:
            fail(f"instances[{i}]", f"names unknown node {rec['NodeId']}")
        bizdate = rec["Bizdate"]
        if bizdate not in good_dates:
            if not _BIZDATE.match(bizdate):
                fail(f"instances[{i}].Bizdate", f"must be YYYY-MM-DD, got {bizdate!r}")
            good_dates.add(bizdate)
        for key in ("BeginRunningTime", "FinishTime", "CycTime"):
            value = rec.get(key)
            if value is not None and type(value) is not int:
                fail(f"instances[{i}].{key}", f"must be epoch ms, got {_kind(value)}")
        seen.add(rec["InstanceId"])
        if len(seen) != i + 1:
            fail(f"instances[{i}]", f"duplicate InstanceId {rec['InstanceId']}")


def _check_baselines(items: list, nodes: set[int], fail: _Reporter) -> None:
    seen: set[int] = set()
    for i in range(len(items)):
        rec = _record(items, i, "baselines", fail, {"BaselineId": _is_id, "NodeIds": lambda v: isinstance(v, list)})
        if rec["BaselineId"] in seen:
            fail(f"baselines[{i}]", f"duplicate BaselineId {rec['BaselineId']}")
        seen.add(rec["BaselineId"])
        for node_id in rec["NodeIds"]:
            if node_id not in nodes:
                fail(f"baselines[{i}].NodeIds", f"names unknown node {node_id}")


def _check_members(members: dict, projects: set[int], fail: _Reporter) -> None:
    for key, items in members.items():
        if not key.isdigit() or int(key) not in projects:
            fail(f"members[{key!r}]", "names an unknown project")
        if not isinstance(items, list):
            fail(f"members[{key!r}]", f"must be a list, got {_kind(items)}")
        for i in range(len(items)):
            _record(items, i, f"members[{key!r}]", fail,
                    {"ProjectMemberId": lambda v: isinstance(v, str) and bool(v)})
