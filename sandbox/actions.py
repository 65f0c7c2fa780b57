"""DataWorks 2020-05-18 OpenAPI actions answered from a ``ServedWorkspace``.

Each handler takes the workspace, the request (merged query + form parameters, all
strings, as the SDK sends them) and the results list, and returns the JSON body in the
shape the SDK's ``*ResponseBody.from_map`` reads. Errors are ``ApiError``:
400 ``MissingParameter`` / ``InvalidParameter`` (e.g. PageSize > 100),
400 ``Invalid.Parameter.PageNumber`` for a page past the action's documented page limit (``PAGE_LIMITS``),
404 ``InvalidProjectId.NotFound`` / ``InvalidNodeId.NotFound`` / ``InvalidBaselineId.NotFound``,
403 ``Forbidden.Access`` for projects outside ``allowed_projects`` or inside ``forbidden_projects``, 404
``InvalidExtensionCode.NotFound`` for an extension code the emulator's registry does not hold (``sandbox.extensions``).

Page limits (documented): ListNodes, ListInstances and ListProjects take PageNumber 1-100, ListBaselines
and ListProjectMembers at most 30 pages; with PageSize <= 100 one query reaches at most 10,000 (3,000) rows. The error code and
message of a page past the limit are not documented: INFERRED (DataWorks' dotted ``Invalid.*`` style).

``ListInstances`` filters ``NodeId``, ``Status``, ``ProgramType``, ``Owner`` and ``NodeName`` (a substring)
as ``ListNodes`` filters ``SchedulerType``, ``ProgramType``, ``Owner`` and ``NodeName``: an instance takes
the program type, owner and name of its node.

``Bizdate``/``CycTime`` of instances are epoch ms in UTC+8 (``DATAWORKS_TZ``), as the API returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sandbox.api_error import ApiError, invalid, missing
from sandbox.api_records import render_instance, render_node, render_relative
from sandbox.served_workspace import ServedWorkspace
from sandbox.workspace_schedule import midnight_ms

MAX_PAGE_SIZE = 100
#: documented PageNumber ceilings per action (ListBaselines: 30 pages)
PAGE_LIMITS = {"ListProjects": 100, "ListNodes": 100, "ListInstances": 100, "ListBaselines": 30,
               "ListProjectMembers": 30}
PAGE_LIMIT_CODE = "Invalid.Parameter.PageNumber"  # INFERRED: the documentation names no code for it
ENVIRONMENTS = ("PROD", "DEV")
CHECK_RESULTS = ("OK", "FAIL")


@dataclass(frozen=True)
class ApiRequest:
    action: str
    params: Mapping[str, str]
    request_id: str
    allowed_projects: frozenset[int] | None = None
    #: the action's PageNumber ceiling, None = unlimited (page limits switched off)
    max_pages: int | None = None
    #: listed by ListProjects (they are the tenant's) but every read of them answers 403
    forbidden_projects: frozenset[int] = frozenset()


Handler = Callable[[ServedWorkspace, ApiRequest, list], dict]


# --- parameters ------------------------------------------------------------------------------

def _int(req: ApiRequest, name: str, default: int | None = None) -> int:
    raw = req.params.get(name)
    if raw is None or raw == "":
        if default is None:
            raise missing(name)
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid(name, raw, "not an integer") from None


def _str(req: ApiRequest, name: str) -> str:
    raw = req.params.get(name)
    if not raw:
        raise missing(name)
    return raw


def _page(req: ApiRequest, default_size: int = 10) -> tuple[int, int]:
    number, size = _int(req, "PageNumber", 1), _int(req, "PageSize", default_size)
    if number < 1:
        raise invalid("PageNumber", number, "must be >= 1")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise invalid("PageSize", size, f"must be between 1 and {MAX_PAGE_SIZE}")
    if req.max_pages is not None and number > req.max_pages:
        raise ApiError(400, PAGE_LIMIT_CODE,
                       f'The parameter "PageNumber" is invalid ({number}): {req.action} returns pages 1 to '
                       f"{req.max_pages}; narrow the query with its filters.")
    return number, size


def _prod(req: ApiRequest) -> bool:
    """True for PROD (the default); DEV is an empty environment in the emulator."""
    env = req.params.get("ProjectEnv") or "PROD"
    if env not in ENVIRONMENTS:
        raise invalid("ProjectEnv", env, "must be PROD or DEV")
    return env == "PROD"


def _allowed(req: ApiRequest, project_id: int) -> None:
    if (req.allowed_projects is not None and project_id not in req.allowed_projects) \
            or project_id in req.forbidden_projects:
        raise ApiError(403, "Forbidden.Access", f"You are not authorized to access project {project_id}.")


def _project(ws: ServedWorkspace, req: ApiRequest) -> int:
    project_id = _int(req, "ProjectId")
    if project_id not in ws.project_ids:
        raise ApiError(404, "InvalidProjectId.NotFound", f"The project {project_id} does not exist.")
    _allowed(req, project_id)
    return project_id


def _node(ws: ServedWorkspace, req: ApiRequest) -> dict:
    node_id = _int(req, "NodeId")
    node = ws.nodes.get(node_id) if _prod(req) else None
    if node is None:
        raise ApiError(404, "InvalidNodeId.NotFound", f"The node {node_id} does not exist.")
    _allowed(req, node["ProjectId"])
    return node


def _bizdate(req: ApiRequest, name: str) -> date:
    raw = _str(req, name)
    try:
        return datetime.strptime(raw[:10], "%Y-%m-%d").date()
    except ValueError:
        raise invalid(name, raw, "must be yyyy-MM-dd HH:mm:ss") from None


def _flag(raw: str | None) -> bool | None:
    return None if raw in (None, "") else raw.lower() == "true"


def _paged(items: list, number: int, size: int) -> list:
    return items[(number - 1) * size:number * size]


# --- actions ---------------------------------------------------------------------------------

def list_projects(ws: ServedWorkspace, req: ApiRequest, results: list) -> dict:
    number, size = _page(req)
    projects = [p for p in ws.projects
                if req.allowed_projects is None or p["ProjectId"] in req.allowed_projects]
    page = [{"ProjectId": p["ProjectId"], "ProjectName": p.get("ProjectName", ""),
             "ProjectIdentifier": p.get("ProjectIdentifier", p.get("ProjectName", "")),
             "ProjectDescription": p.get("ProjectDescription", ""), "ProjectStatus": 0,
             "ProjectStatusCode": "AVAILABLE", "IsDefault": 0, "DisableDevelopment": False,
             "UseProxyOdpsAccount": False, "TablePrivacyMode": 0}
            for p in _paged(projects, number, size)]
    return {"RequestId": req.request_id,
            "PageResult": {"PageNumber": number, "PageSize": size, "TotalCount": len(projects), "ProjectList": page}}


def list_nodes(ws: ServedWorkspace, req: ApiRequest, results: list) -> dict:
    project_id = _project(ws, req)
    number, size = _page(req)
    ids = ws.nodes_by_project.get(project_id, []) if _prod(req) else []
    wanted = {k: req.params.get(p) for k, p in (("SchedulerType", "SchedulerType"), ("ProgramType", "ProgramType"),
                                                 ("OwnerId", "Owner")) if req.params.get(p)}
    name_part = req.params.get("NodeName")
    if wanted or name_part:
        ids = [i for i in ids if all(ws.nodes[i].get(k) == v for k, v in wanted.items())
               and (not name_part or name_part in ws.nodes[i]["NodeName"])]
    page = [render_node(ws.nodes[i]) for i in _paged(ids, number, size)]
    return _data(req, {"PageNumber": number, "PageSize": size, "TotalCount": len(ids), "Nodes": page})


def get_node(ws: ServedWorkspace, req: ApiRequest, results: list) -> dict:
    return _data(req, render_node(_node(ws, req)))


def get_node_parents(ws: ServedWorkspace, req: ApiRequest, results: list) -> dict:
    node = _node(ws, req)
    ids = sorted(ws.parents.get(node["NodeId"], ()))
    return _data(req, {"Nodes": [render_relative(ws.nodes[i]) for i in ids]})


def get_node_children(ws: ServedWorkspace, req: ApiRequest, results: list) -> dict:
    node = _node(ws, req)
    ids = sorted(ws.children.get(node["NodeId"], ()))
    return _data(req, {"Nodes": [render_relative(ws.nodes[i]) for i in ids]})


def list_instances(ws: ServedWorkspace, req: ApiRequest, results: list) -> dict:
    project_id = _project(ws, req)
    if req.params.get("Bizdate"):
        begin = end = _bizdate(req, "Bizdate")
    else:
        if not req.params.get("BeginBizdate") and not req.params.get("EndBizdate"):
            raise missing("Bizdate")
        begin, end = _bizdate(req, "BeginBizdate"), _bizdate(req, "EndBizdate")
        if end < begin:
            raise invalid("EndBizdate", req.params["EndBizdate"], "is before BeginBizdate")
    number, size = _page(req)
    node_id, status = req.params.get("NodeId"), req.params.get("Status")
    if not _prod(req):
        buckets: list[list[dict]] = []
    elif node_id:
        lo, hi, nid = begin.isoformat(), end.isoformat(), _int(req, "NodeId")
        in_project = ws.nodes.get(nid, {}).get("ProjectId", project_id) == project_id
        buckets = [[i for i in ws.instances_of_node(nid) if in_project and lo <= i["Bizdate"] <= hi]]
    else:
        buckets = ws.instances_between(project_id, begin, end)
    if status:
        buckets = [[i for i in b if i["Status"] == status] for b in buckets]
    by_node = _node_filters(req, ws)
    if by_node is not None:
        buckets = [[i for i in b if by_node(ws.nodes.get(i["NodeId"]))] for b in buckets]
    total = sum(len(b) for b in buckets)
    page, skip = [], (number - 1) * size
    for bucket in buckets:
        if skip >= len(bucket):
            skip -= len(bucket)
            continue
        page.extend(bucket[skip:skip + size - len(page)])
        skip = 0
        if len(page) >= size:
            break
    ms = {b: midnight_ms(date.fromisoformat(b)) for b in {i["Bizdate"] for i in page}}
    rendered = [render_instance(i, ws.nodes.get(i["NodeId"]), ms[i["Bizdate"]]) for i in page]
    return _data(req, {"PageNumber": number, "PageSize": size, "TotalCount": total, "Instances": rendered})


def _node_filters(req: ApiRequest, ws: ServedWorkspace) -> Callable[[dict | None], bool] | None:
    """ListInstances' ProgramType / Owner / NodeName filters as a test on an instance's node (None: none given)."""
    wanted = {k: req.params.get(p) for k, p in (("ProgramType", "ProgramType"), ("OwnerId", "Owner"))
              if req.params.get(p)}
    name_part = req.params.get("NodeName")
    if not wanted and not name_part:
        return None
    return lambda node: node is not None and all(node.get(k) == v for k, v in wanted.items()) \
        and (not name_part or name_part in node.get("NodeName", ""))


def list_baselines(ws: ServedWorkspace, req: ApiRequest, results: list) -> dict:
    project_id = _project(ws, req)
    number, size = _page(req)
    items = ws.baselines_by_project.get(project_id, [])
    owner, search = req.params.get("Owner"), req.params.get("SearchText")
    priorities = {int(p) for p in req.params.get("Priority", "").split(",") if p.strip().isdigit()}
    types = {t for t in req.params.get("BaselineTypes", "").split(",") if t}
    enable = _flag(req.params.get("Enable"))
    items = [b for b in items
             if (not owner or b.get("Owner") == owner) and (not search or search in b.get("BaselineName", ""))
             and (not priorities or b.get("Priority") in priorities)
             and (not types or b.get("BaselineType", "DAILY") in types)
             and (enable is None or b.get("Enabled", True) == enable)]
    page = [{"BaselineId": b["BaselineId"], "BaselineName": b.get("BaselineName", ""),
             "BaselineType": b.get("BaselineType", "DAILY"), "Enabled": b.get("Enabled", True),
             "Owner": b.get("Owner", ""), "Priority": b.get("Priority", 1), "ProjectId": project_id,
             "AlertEnabled": True, "AlertMarginThreshold": 30,
             "OverTimeSettings": [{"Cycle": 1, "Time": "08:00"}]}
            for b in _paged(items, number, size)]
    return _data(req, {"PageNumber": number, "PageSize": size, "TotalCount": len(items), "Baselines": page})


def list_nodes_by_baseline(ws: ServedWorkspace, req: ApiRequest, results: list) -> dict:
    baseline_id = _int(req, "BaselineId")
    baseline = ws.baselines.get(baseline_id)
    if baseline is None:
        raise ApiError(404, "InvalidBaselineId.NotFound", f"The baseline {baseline_id} does not exist.")
    nodes = [ws.nodes[i] for i in baseline.get("NodeIds", ()) if i in ws.nodes]
    for n in nodes:
        _allowed(req, n["ProjectId"])
    return _data(req, [{"NodeId": n["NodeId"], "NodeName": n["NodeName"], "Owner": n.get("OwnerId", ""),
                        "ProjectId": n["ProjectId"]} for n in nodes])


def list_project_members(ws: ServedWorkspace, req: ApiRequest, results: list) -> dict:
    """A workspace's members (documented: PageSize 1-100, default 10; PageNumber 1-30). The documented response
    has ``RequestId`` and ``Data`` only (no ``Success``); ``Status`` and ``ProjectMemberType`` are strings."""
    project_id = _project(ws, req)
    number, size = _page(req)
    members = ws.members.get(project_id, [])
    page = [{"ProjectMemberId": m["ProjectMemberId"], "ProjectMemberName": m.get("ProjectMemberName", ""),
             "Nick": m.get("Nick", ""), "ProjectMemberType": m.get("ProjectMemberType", "5"),
             "Status": m.get("Status", "0"), "ProjectRoleList": list(m.get("ProjectRoleList", ()))}
            for m in _paged(members, number, size)]
    return {"RequestId": req.request_id,
            "Data": {"PageNumber": number, "PageSize": size, "TotalCount": len(members), "ProjectMemberList": page}}


def get_option_value_for_project(ws: ServedWorkspace, req: ApiRequest, results: list) -> dict:
    project_id = _project(ws, req)
    ws.extensions.require(_str(req, "ExtensionCode"))
    return {"RequestId": req.request_id, "OptionValue": ws.options.get(str(project_id), "{}")}


def update_workbench_event_result(ws: ServedWorkspace, req: ApiRequest, results: list) -> dict:
    record = {"MessageId": _str(req, "MessageId"), "ExtensionCode": _str(req, "ExtensionCode"),
              "CheckResult": _str(req, "CheckResult"), "CheckResultTip": req.params.get("CheckResultTip", ""),
              "RequestId": req.request_id, "ReceivedAt": int(time.time() * 1000)}
    ws.extensions.require(record["ExtensionCode"])
    if record["CheckResult"] not in CHECK_RESULTS:
        raise invalid("CheckResult", record["CheckResult"], "Operation Center accepts OK or FAIL")
    results.append(record)
    return {"RequestId": req.request_id, "Success": True}


def get_extension(ws: ServedWorkspace, req: ApiRequest, results: list) -> dict:
    return {"RequestId": req.request_id, "Extension": ws.extensions.get(_str(req, "ExtensionCode"))}


def _data(req: ApiRequest, data: object) -> dict:
    return {"RequestId": req.request_id, "Success": True, "HttpStatusCode": 200, "Data": data}


ACTIONS: dict[str, Handler] = {
    "ListProjects": list_projects,
    "ListNodes": list_nodes,
    "GetNode": get_node,
    "GetNodeParents": get_node_parents,
    "GetNodeChildren": get_node_children,
    "ListInstances": list_instances,
    "ListBaselines": list_baselines,
    "ListNodesByBaseline": list_nodes_by_baseline,
    "ListProjectMembers": list_project_members,
    "GetOptionValueForProject": get_option_value_for_project,
    "GetExtension": get_extension,
    "UpdateWorkbenchEventResult": update_workbench_event_result,
}


def dispatch(ws: ServedWorkspace, req: ApiRequest, results: list) -> dict:
    handler = ACTIONS.get(req.action)
    if handler is None:
        raise ApiError(404, "InvalidAction.NotFound",
                       f"Specified api {req.action!r} is not found, please check your url and method.")
    return handler(ws, req, results)
