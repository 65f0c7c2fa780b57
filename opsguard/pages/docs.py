"""The "View Documentation" page: `GET /docs` (every check) and `GET /docs/{name}` (one).

Per check: what it measures, why it matters in DataWorks, what an operator can do to pass (the check
module's `DOC`), and the thresholds in force — globally and for every workspace whose `[projects.<id>]`
table or extension options (the snapshot's `project_options`) change them. `?project=<id>` adds that
workspace's column even where it keeps the global values (the details page links with it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from evaluator.checks import CHECKS, Check, check_name
from evaluator.checks.doc import OTHER_CHECKPOINTS, CheckDoc, check_doc
from evaluator.checks.snapshot_freshness import duration
from evaluator.policy import Policy, PolicyError, Rule
from lineage.graph import LineageGraph

if TYPE_CHECKING:
    from opsguard.service import Service

__all__ = ["docs_view", "render_docs", "docs_page", "SETTINGS"]

# Policy settings a check may depend on, and how the page shows each one's value.
SETTINGS: dict[str, str] = {
    "staleness": "snapshot older than this is stale",
    "on_stale": "status of a stale snapshot",
    "on_error": "status when a check cannot be evaluated",
    "warn_as": "what a WARN is sent to DataWorks as",
    "high_priority": "priority that counts as high",
    "default_runtime_minutes": "run time assumed without history",
    "timezone": "the DataWorks region's UTC offset",
    "use_extension_options": "read per-workspace extension options",
    "exempt_operators": "operators exempt from every rule",
    "protected": "nodes and baselines no operation may touch",
}


def docs_page(service: Service, *, project: int | None = None, name: str | None = None) -> tuple[int, str]:
    """(HTTP status, HTML) of `GET /docs[/{name}]` for a running server: its policy, the live snapshot's
    extension options; an unknown `name` is a 404 showing every check."""
    from opsguard.pages.details import _service_info

    live = service.live()
    kwargs: dict[str, Any] = {"project": project, "graph": live.graph if live else None,
                              "header": _service_info(service)}
    options = live.options if live else {}
    page = render_docs(service.options.policy, options, name=name, **kwargs)
    if page is None:
        return 404, render_docs(service.options.policy, options, missing=name, **kwargs) or ""
    return 200, page


def render_docs(policy: Policy, options: Mapping[int, str], *, project: int | None = None,
                name: str | None = None, graph: LineageGraph | None = None,
                header: Mapping[str, Any] | None = None, missing: str | None = None) -> str | None:
    """The HTML page (one check when `name` is given; None if no checkpoint has that name)."""
    from opsguard.pages.details import _env

    view = docs_view(policy, options, project=project, graph=graph)
    if name is not None:
        view["sections"] = [s for s in view["sections"] if s["name"] == name]
        if not view["sections"]:
            return None
    return _env().get_template("docs.html").render(**view, only=name, missing=missing, service=header or {})


def docs_view(policy: Policy, options: Mapping[int, str], *, project: int | None = None,
              graph: LineageGraph | None = None, checks: Sequence[Check] = CHECKS) -> dict[str, Any]:
    """What the page shows, as plain data: settings, one section per check, the other checkpoints.

    >>> from evaluator.policy import parse_policy
    >>> p = parse_policy('[projects.7.downstream-blocked]\\nfail = 500\\n')
    >>> view = docs_view(p, {})
    >>> blocked = next(s for s in view["sections"] if s["name"] == "downstream-blocked")
    >>> [(r["scope"], r["thresholds"]) for r in blocked["rows"]]
    [('global', 'WARN at ≥ 1 · FAIL at ≥ 200 live descendants'), ('workspace 7', 'WARN at ≥ 1 · FAIL at ≥ 500 live descendants')]
    """
    workspaces = _workspaces(policy, options, project)
    sections = [_section(check_name(c), check_doc(c), policy, workspaces, project, graph) for c in checks]
    sections += [_section(n, d, policy, workspaces, project, graph, graded=False) for n, d in OTHER_CHECKPOINTS.items()]
    settings = [{"name": s, "meaning": meaning, "global": _setting(policy, s, graph),
                 "workspaces": [(w["project_id"], v) for w in workspaces
                                if (v := _setting(w["policy"], s, graph)) != _setting(policy, s, graph)
                                or w["project_id"] == project]}
                for s, meaning in SETTINGS.items()]
    events = sorted({e for s in sections for e in s["events"]})
    return {"sections": sections, "settings": settings, "project": project, "events": events,
            "options": {"enabled": policy.use_extension_options, "workspaces": sorted(options),
                        "errors": [(w["project_id"], w["error"]) for w in workspaces if w["error"]]},
            "policy_source": policy.source}


def _workspaces(policy: Policy, options: Mapping[int, str], project: int | None) -> list[dict[str, Any]]:
    """Every workspace the policy file or the extension options say something about (and `project`)."""
    ids = sorted(set(policy.projects) | set(options) | ({project} if project is not None else set()))
    out = []
    for pid in ids:
        error = None
        try:
            effective = policy.for_project(pid, options.get(pid))
        except PolicyError as exc:  # as in evaluate(): the file policy applies, the options error is shown
            effective, error = policy.for_project(pid), str(exc)
        file_only = policy.for_project(pid)
        out.append({"project_id": pid, "policy": effective, "file_policy": file_only, "error": error,
                    "in_file": pid in policy.projects})
    return out


def _section(name: str, doc: CheckDoc, policy: Policy, workspaces: list[dict[str, Any]], project: int | None,
             graph: LineageGraph | None, *, graded: bool = True) -> dict[str, Any]:
    rows = [_row("global", policy.rule(name) if graded else None, policy, doc, graph, policy.source)]
    base = rows[0]
    for w in workspaces:
        rule = w["policy"].rule(name) if graded else None
        row = _row(f"workspace {w['project_id']}", rule, w["policy"], doc, graph, "")
        if (row["thresholds"], row["exempt"], row["settings"]) == (base["thresholds"], base["exempt"],
                                                                     base["settings"]):
            if w["project_id"] != project:
                continue
            row["source"] = "same as global"
        else:
            file_row = _row("", w["file_policy"].rule(name) if graded else None, w["file_policy"], doc, graph, "")
            from_options = (file_row["thresholds"], file_row["exempt"], file_row["settings"]) != \
                (row["thresholds"], row["exempt"], row["settings"])
            row["source"] = "extension options" if from_options else f"[projects.{w['project_id']}]"
        row["selected"] = w["project_id"] == project
        rows.append(row)
    return {"name": name, "title": doc.title, "events": doc.events, "measures": doc.measures, "why": doc.why,
            "to_pass": doc.to_pass, "unit": doc.unit, "graded": graded, "rows": rows}


def _row(scope: str, rule: Rule | None, policy: Policy, doc: CheckDoc, graph: LineageGraph | None,
         source: str) -> dict[str, Any]:
    exempt = sorted(rule.exempt_operators) if rule else []
    return {"scope": scope, "thresholds": _thresholds(rule, doc.unit), "exempt": exempt,
            "settings": [(s, _setting(policy, s, graph)) for s in doc.settings], "source": source,
            "selected": False}


def _thresholds(rule: Rule | None, unit: str) -> str:
    """`WARN at ≥ 1 · FAIL at ≥ 200 live descendants`, `off`, or `—` when not graded by thresholds.

    >>> _thresholds(Rule("r", warn=1, fail=None), "owners"), _thresholds(Rule("r", enabled=False), "x")
    ('WARN at ≥ 1 owners · never FAIL', 'switched off (enabled = false)')
    """
    if rule is None:
        return "—"
    if not rule.enabled:
        return "switched off (enabled = false)"
    if not unit:
        return "see the settings"
    warn = f"WARN at ≥ {rule.warn:,g}" if rule.warn is not None else "never WARN"
    fail = f"FAIL at ≥ {rule.fail:,g}" if rule.fail is not None else "never FAIL"
    if rule.warn is not None and rule.warn == rule.fail:
        return f"FAIL at ≥ {rule.fail:,g} {unit}"
    return f"{warn} {unit} · {fail}" if rule.fail is None else f"{warn} · {fail} {unit}"


def _setting(policy: Policy, name: str, graph: LineageGraph | None) -> str:
    """A policy setting's value as the page shows it."""
    if name == "staleness":
        return duration(policy.staleness.total_seconds())
    if name in ("on_stale", "on_error", "warn_as"):
        return getattr(policy, name).value
    if name == "high_priority":
        return f"≥ {policy.high_priority}"
    if name == "default_runtime_minutes":
        return f"{policy.default_runtime_seconds / 60:g} min"
    if name == "timezone":
        offset = policy.timezone.utcoffset(None) or timedelta(0)
        sign, minutes = ("+" if offset >= timedelta(0) else "-"), abs(int(offset.total_seconds())) // 60
        return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    if name == "use_extension_options":
        return "yes" if policy.use_extension_options else "no"
    if name == "exempt_operators":
        return ", ".join(sorted(policy.exempt_operators)) or "none"
    if name == "protected":
        nodes = [_node_label(graph, n) for n in sorted(policy.protected_nodes)]
        parts = ([f"nodes {', '.join(nodes)}"] if nodes else []) + \
            ([f"baselines {', '.join(str(b) for b in sorted(policy.protected_baselines))}"]
             if policy.protected_baselines else [])
        return "; ".join(parts) or "nothing protected"
    raise KeyError(name)


def _node_label(graph: LineageGraph | None, node_id: int) -> str:
    if graph is None or node_id not in graph:
        return str(node_id)
    name = graph.node(node_id).node_name
    return f"{name} ({node_id})" if name else str(node_id)
