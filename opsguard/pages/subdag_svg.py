"""A picture of the affected sub-DAG: the changed nodes on the left, descendants layered by depth.

Capped to stay readable — at most `per_layer` boxes per depth and `max_depth` layers, the rest
summarised as "+N more" boxes and a final "+N deeper" column — never capping what was computed
(the node table and the JSON have everything). Plain SVG text with inline styles: no scripts, no
external fonts. A node is shown before its siblings when the node it was reached through is shown,
so drawn edges form paths back to the changed node.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from html import escape

import numpy as np

from lineage.graph import LineageGraph
from opsguard.pages.labels import baseline_label, owner_label

__all__ = ["SubDag", "svg_layout", "render_svg"]

COLUMN, BOX_W, BOX_H, GAP, PAD, HEAD = 210, 180, 38, 10, 16, 28


@dataclass(frozen=True)
class SubDag:
    """What the picture shows: per layer the node ids drawn and how many were left out."""

    layers: tuple[tuple[int, ...], ...]          # layer 0 = the changed nodes
    hidden: tuple[int, ...]                      # per layer, nodes not drawn
    deeper: int                                  # descendants beyond the last layer drawn
    deepest: int                                 # the max depth there is
    edges: tuple[tuple[int, int], ...]           # (parent, child) between drawn nodes of adjacent layers


def svg_layout(graph: LineageGraph, start_ids: Iterable[int], *, max_depth: int = 4, per_layer: int = 8,
                  prefer: Iterable[int] = ()) -> SubDag:
    """Choose what to draw: start nodes the graph knows, then up to `per_layer` descendants per depth.

    >>> g = LineageGraph.from_records([{"node_id": i} for i in range(1, 7)], [(1, 2), (1, 3), (1, 4), (2, 5), (5, 6)])
    >>> dag = svg_layout(g, [1], max_depth=2, per_layer=2)
    >>> dag.layers, dag.hidden, dag.deeper
    (((1,), (2, 3), (5,)), (0, 1, 0), 1)
    """
    start_idx, _ = graph.positions(list(dict.fromkeys(int(n) for n in start_ids)))
    reach = graph.descendants_of_positions(start_idx)
    preferred = set(graph.positions(list(prefer))[0].tolist()) if prefer else set()
    priority = graph.column("priority")
    layers: list[list[int]] = [start_idx[:per_layer].tolist()]
    hidden = [max(int(start_idx.size) - per_layer, 0)]
    shown: set[int] = set(layers[0])
    depths = reach.depth
    deepest = int(depths.max()) if depths.size else 0
    for depth in range(1, min(max_depth, deepest) + 1):
        at = np.flatnonzero(depths == depth)
        idx, via = reach.idx[at], reach.via[at]
        connected = np.fromiter((v in shown for v in via.tolist()), dtype=bool, count=idx.size)
        liked = np.fromiter((i in preferred for i in idx.tolist()), dtype=bool, count=idx.size)
        order = np.lexsort((idx, -priority[idx], ~liked, ~connected))
        chosen = _by_parent_rows(graph, idx[order[:per_layer]].tolist(), layers[-1])
        layers.append(chosen)
        hidden.append(int(idx.size) - len(chosen))
        shown.update(chosen)
    deeper = int((depths > max_depth).sum())
    edges = []
    for d in range(1, len(layers)):
        previous = set(layers[d - 1])
        for child in layers[d]:
            edges += [(int(p), child) for p in graph.parents(child).tolist() if p in previous]
    ids = graph.node_ids
    to_id = {int(i): int(n) for layer in layers for i, n in zip(layer, ids(np.asarray(layer, dtype=np.int64)))}
    return SubDag(layers=tuple(tuple(to_id[i] for i in layer) for layer in layers), hidden=tuple(hidden),
                  deeper=deeper, deepest=deepest, edges=tuple((to_id[p], to_id[c]) for p, c in edges))


def _by_parent_rows(graph: LineageGraph, chosen: list[int], previous: list[int]) -> list[int]:
    """Order a layer by the mean row of its drawn parents (fewer crossing edges)."""
    row = {p: r for r, p in enumerate(previous)}

    def key(i: int) -> tuple[float, int]:
        rows = [row[p] for p in graph.parents(i).tolist() if p in row]
        return (sum(rows) / len(rows) if rows else float(len(previous)), i)

    return sorted(chosen, key=key)


# Box colours come from the page's CSS (`.role.<kind>`: one variable per role, none a state's colour); the
# text ink is neutral: white on the filled "changed" boxes, grey on the inactive ones.
KINDS = ("changed", "node", "high", "baseline", "frozen", "dry-run", "selected", "stale", "more")
_INK = {"changed": "#ffffff", "frozen": "#57606a", "dry-run": "#57606a", "more": "#57606a"}


def render_svg(graph: LineageGraph, dag: SubDag, classes: Mapping[int, str] | None = None) -> str:
    """The SVG of `dag`; `classes` picks a role per node id (one of `KINDS`), default by attributes."""
    classes = classes or {}
    columns = len(dag.layers) + (1 if dag.deeper else 0)
    rows = max((len(layer) + (1 if hidden else 0)) for layer, hidden in zip(dag.layers, dag.hidden, strict=True))
    width = PAD * 2 + COLUMN * (columns - 1) + BOX_W
    height = PAD * 2 + HEAD + rows * (BOX_H + GAP)
    where: dict[int, tuple[float, float]] = {}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="subdag" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="affected sub-DAG" '
             f'font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">']
    for d, (layer, hidden) in enumerate(zip(dag.layers, dag.hidden, strict=True)):
        x = PAD + d * COLUMN
        label = "changed" if d == 0 else f"depth {d}"
        parts.append(f'<text x="{x}" y="{PAD + 12}" fill="#57606a" font-weight="600">{label}</text>')
        for r, node_id in enumerate(layer):
            where[node_id] = (x, PAD + HEAD + r * (BOX_H + GAP))
        if hidden:
            y = PAD + HEAD + len(layer) * (BOX_H + GAP)
            parts.append(_box(x, y, f"+{hidden:,} more", f"{hidden:,} more at {label}", "more", dashed=True))
    for parent, child in dag.edges:
        (x1, y1), (x2, y2) = where[parent], where[child]
        sx, sy, ex, ey = x1 + BOX_W, y1 + BOX_H / 2, x2, y2 + BOX_H / 2
        mid = (sx + ex) / 2
        parts.append(f'<path d="M{sx},{sy} C{mid},{sy} {mid},{ey} {ex},{ey}" fill="none" stroke="#8c959f" '
                     f'stroke-width="1.2" marker-end="url(#arrow)"/>')
    parts.insert(1, '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
                    'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8c959f"/>'
                    '</marker></defs>')
    for d, layer in enumerate(dag.layers):
        for node_id in layer:
            x, y = where[node_id]
            kind = classes.get(node_id) or ("changed" if d == 0 else _kind(graph, node_id))
            parts.append(_node(graph, node_id, x, y, kind))
    if dag.deeper:
        x = PAD + len(dag.layers) * COLUMN
        parts.append(f'<text x="{x}" y="{PAD + 12}" fill="#57606a" font-weight="600">deeper</text>')
        parts.append(_box(x, PAD + HEAD, f"+{dag.deeper:,} deeper",
                          f"{dag.deeper:,} more nodes at depth {len(dag.layers)}–{dag.deepest}", "more", dashed=True))
    parts.append("</svg>")
    return "".join(parts)


def _kind(graph: LineageGraph, node_id: int) -> str:
    info = graph.node(node_id)
    if info.scheduler_type == "PAUSE":
        return "frozen"
    if info.scheduler_type == "SKIP":
        return "dry-run"
    if info.baseline_id:
        return "baseline"
    if info.priority is not None and info.priority >= 7:
        return "high"
    return "node"


def _node(graph: LineageGraph, node_id: int, x: float, y: float, kind: str) -> str:
    info = graph.node(node_id)
    name = info.node_name or str(node_id)
    names = graph.directory
    row = {**asdict(info), "owner_name": names.owner_name(info.owner_id),
           "baseline_name": names.baseline_name(info.baseline_id)}
    owner = owner_label(row)
    detail = [f"p{info.priority}" if info.priority is not None else "", owner if info.owner_id else ""]
    if info.scheduler_type in ("PAUSE", "SKIP"):
        detail.insert(0, "frozen" if info.scheduler_type == "PAUSE" else "dry-run")
    tooltip = (f"{name} ({node_id})\nworkspace {names.workspace(info.project_id)}, owner {owner}, "
               f"priority {info.priority}, "
               f"baseline {baseline_label(row)}, {info.scheduler_type}")
    return _box(x, y, name, tooltip, kind, second=" · ".join(p for p in detail if p), node_id=node_id,
                dashed=kind == "dry-run")


def _box(x: float, y: float, text: str, tooltip: str, kind: str, *, second: str = "", node_id: int | None = None,
         dashed: bool = False) -> str:
    ink = _INK.get(kind, "#1b1f24")
    short = text if len(text) <= 26 else text[:25] + "…"
    dash = ' stroke-dasharray="4 3"' if dashed else ""
    data = f' data-node-id="{node_id}"' if node_id is not None else ""
    weight = "600" if kind == "changed" else "500"
    ty = y + (15 if second else BOX_H / 2 + 4)
    out = [f'<g class="node {kind}"{data}><title>{escape(tooltip)}</title>',
           f'<rect class="role {kind}" x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" '
           f'stroke-width="1.5"{dash}/>',
           f'<text x="{x + 8}" y="{ty}" fill="{ink}" font-weight="{weight}">{escape(short)}</text>']
    if second:
        out.append(f'<text x="{x + 8}" y="{y + 30}" fill="{ink}" opacity="0.75" font-size="11">'
                   f'{escape(second if len(second) <= 27 else second[:26] + "…")}</text>')
    out.append("</g>")
    return "".join(out)
