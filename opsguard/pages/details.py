"""The "View Details" pages: `GET /checks/{message_id}` (one check) and `GET /checks` (recent ones).

Server-rendered with Jinja2 (`evaluator/templates/`), no external assets. The verdict, checkpoints and
deliveries come from the state database as stored; the node table and the picture are computed on the
graph the server holds now (the page says so when that is not the snapshot the verdict used).
Tables are capped at `NODE_ROWS` rows with "+N more"; `GET /api/checks/{id}` has every node.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import cache
from urllib.parse import urlencode
from typing import TYPE_CHECKING, Any

import jinja2

from evaluator.events import Backfill, EventParseError, NodeOperation, parse_event
from opsguard.pages.checks_list import ChecksPage
from opsguard.pages.labels import HEADLINE_NAMES, baseline_label, nodes_headline, owner_label, workspace_label
from opsguard.pages.nodes_csv import nodes_csv
from opsguard.pages.subdag_svg import svg_layout, render_svg
from lineage.backfill import estimate_backfill
from lineage.directory import Directory
from lineage.graph import LineageGraph
from lineage.impact import compute_impact

if TYPE_CHECKING:
    from opsguard.service import Service

__all__ = ["render_check", "render_checks", "render_not_found", "check_json", "checks_json", "check_nodes_csv",
           "NODE_ROWS"]

NODE_ROWS = 500


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("opsguard.pages", "templates"),
                             autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = lambda v: "—" if v is None else (f"{v:,.1f}" if isinstance(v, float) else f"{v:,}")
    env.filters["when"] = lambda v: v.strftime("%Y-%m-%d %H:%M:%S UTC") if v is not None else "—"
    env.filters["owner"] = owner_label
    env.filters["baseline"] = baseline_label
    env.filters["workspace"] = workspace_label
    env.filters["pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False, default=str)
    return env


def render_checks(service: Service, page: ChecksPage | None, *, error: str = "",
                  typed: dict[str, str] | None = None) -> str:
    """The checks list (`opsguard.pages.checks_list`): one page of it, or the form and `error` when a filter
    could not be read (`typed`: the values as sent, shown back in the form to correct)."""
    from opsguard.pages.checks_list import EVENTS, RESULTS

    return _env().get_template("checks.html").render(
        page=page, error=error, typed=page.filter.typed if page else (typed or {}), results=RESULTS, events=EVENTS,
        names=_names(service), service=_service_info(service))


def _names(service: Service) -> Directory:
    """The live snapshot's names of workspaces and people (the store keeps their ids); ids without a snapshot."""
    live = service.live()
    return live.graph.directory if live is not None else Directory()


def render_not_found(service: Service, message_id: str) -> str:
    return _env().get_template("not_found.html").render(message_id=message_id, service=_service_info(service))


def render_check(service: Service, message_id: str, *, link: dict[str, str] | None = None) -> str | None:
    """The details page of one check; None when the message id is unknown. `link`: the signed link it was
    opened with (its links then carry it on, so "why?" and the documentation open too)."""
    view = _check_view(service, message_id, rows=NODE_ROWS)
    if view is None:
        return None
    return _env().get_template("check.html").render(**view, **link_queries(link), names=_names(service),
                                                    service=_service_info(service))


def link_queries(link: dict[str, str] | None) -> dict[str, str]:
    """`lq` (a query for this check's own pages) and `dq` (parameters for the documentation pages) of a signed
    link; empty without one.

    >>> link_queries({"check": "m 1", "exp": "9", "sig": "ab"})
    {'lq': '?exp=9&sig=ab', 'dq': '&check=m+1&exp=9&sig=ab'}
    """
    if not link:
        return {"lq": "", "dq": ""}
    return {"lq": "?" + urlencode({"exp": link["exp"], "sig": link["sig"]}), "dq": "&" + urlencode(link)}


def check_json(service: Service, message_id: str) -> dict[str, Any] | None:
    """Everything the page shows, as JSON, with every node (no cap)."""
    view = _check_view(service, message_id, rows=None)
    if view is None:
        return None
    view.pop("svg", None)
    inbox = view.pop("inbox")
    view["inbox"] = {k: v for k, v in asdict(inbox).items() if k not in ("raw", "signature")}
    view["inbox"]["status"] = view["state"]
    view["deliveries"] = [asdict(d) for d in view["deliveries"]]
    stored = view.pop("stored")
    view["stored"] = {k: v for k, v in asdict(stored).items() if k != "verdict"} if stored else None
    return json.loads(json.dumps(view, default=str))


def check_nodes_csv(service: Service, message_id: str) -> str | None:
    """Every node of the check's node table as CSV (`opsguard.pages.nodes_csv`); None when the id is unknown."""
    view = _check_view(service, message_id, rows=None)
    return None if view is None else nodes_csv(view["nodes"])


def checks_json(page: ChecksPage) -> list[dict[str, Any]]:
    """The rows of one page of the checks list (the next page's link goes in a `Link` header)."""
    return json.loads(json.dumps([asdict(r) for r in page.rows], default=str))


# -- the view model -------------------------------------------------------------------------------------
def _check_view(service: Service, message_id: str, *, rows: int | None) -> dict[str, Any] | None:
    store = service.store
    inbox = service.inbox_row(message_id)
    if inbox is None:
        return None
    stored = store.verdict(message_id)
    verdict = stored.data() if stored else None
    try:
        event = parse_event(inbox.raw)
    except EventParseError:
        event = None
    live = service.live()
    notes: list[str] = []
    nodes: dict[str, Any] = {"rows": [], "total": 0, "kind": None}
    svg = ""
    if live is not None and isinstance(event, (NodeOperation, Backfill)):
        graph = live.graph
        if verdict and verdict.get("snapshot", {}).get("id") not in (None, graph.snapshot_id):
            notes.append(f"The node table and picture use snapshot {graph.snapshot_id}; the verdict was judged "
                         f"on {verdict['snapshot']['id']}.")
        if live.overlay_nodes:
            notes.append(f"{len(live.overlay_nodes)} node change(s) from node-change events since the snapshot are "
                         "included; nodes created since then have no dependencies until the next sync.")
        if isinstance(event, Backfill):
            nodes, svg = _backfill_nodes(graph, event, rows, service)
        else:
            nodes, svg = _operation_nodes(graph, event, rows)
    elif live is None:
        notes.append("No metadata snapshot is loaded: the node table is not available.")
    state = inbox.status.value
    return {"inbox": inbox, "state": state, "verdict": verdict, "stored": stored,
            "headline": _headline(event, live.graph if live is not None else None),
            "event": _event_info(event, inbox.raw),
            "deliveries": store.deliveries(message_id), "nodes": nodes, "svg": svg, "notes": notes,
            "details_url": service.details_url(message_id)}


def _operation_nodes(graph: LineageGraph, event: NodeOperation, rows: int | None) -> tuple[dict[str, Any], str]:
    impact = compute_impact(graph, event.node_ids)
    start = [n for n in event.node_ids if n in graph]
    reach = impact.reach
    shown = reach.idx if rows is None else reach.idx[:rows]
    table = [_attrs(graph, n, depth=0, via=None) for n in start]
    ids, vias = graph.node_ids(shown).tolist(), graph.node_ids(reach.via[:shown.size]).tolist()
    names = graph.column("node_name")
    table += [_attrs(graph, n, depth=d, via=v, via_name=names[p])
              for n, d, v, p in zip(ids, reach.depth[:shown.size].tolist(), vias, reach.via[:shown.size].tolist())]
    svg = render_svg(graph, svg_layout(graph, start))
    return {"kind": "impact", "rows": table, "total": len(start) + len(reach), "downstream": len(reach),
            "unknown": list(impact.unknown)}, svg


def _backfill_nodes(graph: LineageGraph, event: Backfill, rows: int | None,
                    service: Service) -> tuple[dict[str, Any], str]:
    policy = service.options.policy
    estimate = estimate_backfill(graph, event.to_request(), default_runtime_seconds=policy.default_runtime_seconds)
    reach = graph.descendants([event.root_node_id])
    depth = dict(zip(graph.node_ids(reach.idx).tolist(), reach.depth.tolist()))
    depth[event.root_node_id] = 0
    per_node = estimate.per_node if rows is None else estimate.per_node[:rows]
    table = []
    for p in per_node:
        row = _attrs(graph, p.node_id, depth=depth.get(p.node_id), via=None)
        row.update(run_instances=p.run_instances, dry_run_instances=p.dry_run_instances, hours=round(p.hours, 2),
                   median_minutes=round(p.median_seconds / 60, 1), has_history=p.has_history, dry_run=p.dry_run)
        table.append(row)
    stale = sorted(estimate.downstream_not_included, key=lambda n: (depth.get(n, 1 << 30), n))
    stale_rows = [_attrs(graph, n, depth=depth.get(n), via=None) for n in (stale if rows is None else stale[:rows])]
    classes = {n: "selected" for n in estimate.node_ids}
    classes.update({n: "dry-run" for n in event.exclude_node_ids})
    classes.update({n: "stale" for n in stale})
    classes[event.root_node_id] = "changed"
    svg = render_svg(graph, svg_layout(graph, [event.root_node_id], prefer=estimate.node_ids), classes)
    bizdates = [{"bizdate": d.isoformat(), "run_instances": r}
                for d, r in zip(estimate.bizdates, estimate.per_bizdate_run_instances, strict=False)]
    return {"kind": "backfill", "rows": table, "total": estimate.node_count, "stale_rows": stale_rows,
            "stale_total": len(stale), "bizdates": bizdates, "selection_mode": estimate.selection_mode,
            "unknown": list(estimate.unknown)}, svg


def _attrs(graph: LineageGraph, node_id: int, *, depth: int | None, via: int | None,
           via_name: str | None = None) -> dict[str, Any]:
    if node_id not in graph:
        return {"node_id": node_id, "name": None, "depth": depth, "via": via, "via_name": via_name,
                "project_id": None, "owner_id": None, "priority": None, "baseline_id": None, "scheduler_type": None,
                "workspace_name": None, "owner_name": None, "baseline_name": None}
    info = graph.node(node_id)
    d = graph.directory   # names beside the ids: the page shows the name, else the id
    return {"node_id": node_id, "name": info.node_name, "depth": depth, "via": via, "via_name": via_name,
            "project_id": info.project_id, "owner_id": info.owner_id, "priority": info.priority,
            "baseline_id": info.baseline_id, "scheduler_type": info.scheduler_type,
            "workspace_name": d.workspace_name(info.project_id), "owner_name": d.owner_name(info.owner_id),
            "baseline_name": d.baseline_name(info.baseline_id)}


def _headline(event: Any, graph: LineageGraph | None) -> str:
    """The nodes the event is about, by name (the id when the snapshot does not know it): the first few
    and "and N more"."""
    if isinstance(event, NodeOperation):
        ids = list(event.node_ids)
    elif isinstance(event, Backfill):
        ids = [event.root_node_id]
    else:
        return ""
    names = [(graph.node(n).node_name if graph is not None and n in graph else None) or str(n)
             for n in ids[:HEADLINE_NAMES]]
    return nodes_headline(names, total=len(ids))


def _event_info(event: Any, raw: str) -> dict[str, Any]:
    try:
        pretty = json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except ValueError:
        pretty = raw
    info: dict[str, Any] = {"raw": pretty}
    if isinstance(event, NodeOperation):
        info.update(node_ids=list(event.node_ids))
    if isinstance(event, Backfill):
        info.update(name=event.name, root_node_id=event.root_node_id,
                    include=None if event.include_node_ids is None else list(event.include_node_ids),
                    exclude=list(event.exclude_node_ids),
                    periods=[f"{p.begin.isoformat()} … {p.end.isoformat()}" for p in event.periods],
                    parallel=event.is_parallel, parallel_group=event.parallel_group, order=event.order,
                    start_future=event.start_future_instance_immediately)
    return info


def _service_info(service: Service) -> dict[str, Any]:
    live = service.live()
    age = service.snapshot_age_seconds() if live else None
    return {"snapshot_id": live.snapshot.id if live else None, "age_seconds": age,
            "nodes": live.graph.node_count if live else None}

