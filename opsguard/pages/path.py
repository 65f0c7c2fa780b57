"""Why is a node impacted by a check? `GET /checks/{id}/path/{node_id}` (HTML) and
`GET /api/checks/{id}/path/{node_id}` (JSON): the dependency path from the changed node (a backfill's
root) to the node, read along `via` (`lineage.explain`), on the graph the server holds now.
The details page's "why?" links call the JSON route and show the chain in place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evaluator.events import Backfill, EventParseError, NodeOperation, parse_event
from lineage.errors import NotDownstreamError, UnknownNodeError
from lineage.explain import describe_path, explain_path
from lineage.impact import compute_impact

if TYPE_CHECKING:
    from opsguard.service import Service

__all__ = ["path_json", "render_path"]


def path_json(service: Service, message_id: str, node_id: int) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body): 200 with `path` (rows from the changed node to `node_id`), else 404 with `error`."""
    inbox = service.inbox_row(message_id)
    body: dict[str, Any] = {"message_id": message_id, "node_id": node_id}
    if inbox is None:
        return 404, {**body, "error": f"no check {message_id}"}
    try:
        event = parse_event(inbox.raw)
    except EventParseError as exc:
        return 404, {**body, "error": f"the stored message cannot be read: {exc}"}
    if isinstance(event, Backfill):
        start, what = (event.root_node_id,), "the backfill's root"
    elif isinstance(event, NodeOperation):
        start, what = event.node_ids, "the changed node" + ("s" if len(event.node_ids) > 1 else "")
    else:
        return 404, {**body, "error": f"{inbox.event_code} events change no node: nothing to explain"}
    live = service.live()
    if live is None:
        return 404, {**body, "error": "no metadata snapshot is loaded"}
    graph = live.graph
    try:
        path = explain_path(graph, compute_impact(graph, start), node_id)
    except UnknownNodeError:
        return 404, {**body, "error": f"node {node_id} is not in snapshot {graph.snapshot_id}"}
    except NotDownstreamError:
        why = " (selected directly in the backfill)" if isinstance(event, Backfill) else ""
        return 404, {**body, "error": f"node {node_id} is not downstream of {what}{why}"}
    return 200, {**body, "start": list(start), "depth": len(path) - 1, "snapshot_id": graph.snapshot_id,
                 "path": describe_path(graph, path)}


def render_path(service: Service, message_id: str, node_id: int, *,
                link: dict[str, str] | None = None) -> tuple[int, str]:
    """(HTTP status, HTML page) of `path_json`; `link`: the signed link it was opened with."""
    from opsguard.pages.details import _env, _service_info, link_queries

    status, doc = path_json(service, message_id, node_id)
    return status, _env().get_template("path.html").render(doc=doc, **link_queries(link),
                                                            service=_service_info(service))
