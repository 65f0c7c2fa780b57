"""A picture of the sub-DAG around some nodes (matplotlib): the nodes in the middle column, their
descendants in columns to the right by depth (ancestors to the left), coloured by workspace or priority.
A workspace has one colour across every chart of a snapshot (`workspace_colors`).

Edges are drawn between adjacent columns only (a dependency that skips a depth, or joins two nodes of
the same depth, is left out of the picture). Capped to stay readable — at most `per_layer` boxes per column and `max_nodes` in all, the rest
summarised as "+N more" boxes and a "+N deeper" column — never capping what was computed (the
DataFrames hold everything). A node whose `via` (the neighbour it was reached through) is drawn is
preferred over its siblings, so drawn edges form paths back to the starting nodes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from lineage.errors import UnknownNodeError
from lineage.graph import LineageGraph

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from lineage.explore import Snapshot

__all__ = ["SubDagLayout", "layout_subdag", "draw_subdag", "workspace_colors", "workspace_color"]

_COL_IN, _ROW_IN, _BOX_W, _BOX_H, _NAME_CHARS = 2.6, 0.56, 0.82, 0.78, 30
_STATE = {"PAUSE": "frozen", "SKIP": "dry-run"}
_PRIORITIES = (1, 3, 5, 7, 8)  # DataWorks baseline/node priorities
# matplotlib's tab10 then tab20 colours as hex (no matplotlib import needed to name a colour)
_TAB10 = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
_TAB20 = ("#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896", "#9467bd", "#c5b0d5",
          "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d", "#17becf", "#9edae5")
NO_WORKSPACE_COLOR = "#b0b0b0"


def workspace_colors(source: Snapshot | LineageGraph) -> dict[int, str]:
    """One colour per workspace of the snapshot (project id → hex colour), the same in every chart.

    Workspaces are numbered by project id over the whole snapshot (not over what one chart shows), so a
    workspace keeps its colour from chart to chart: `draw_subdag` colours its boxes with this mapping, and
    a notebook's own charts use it through `workspace_color`. tab10 up to ten workspaces, tab20 up to
    twenty, repeating beyond.

    >>> g = LineageGraph.from_records([{"node_id": 1, "project_id": 30}, {"node_id": 2, "project_id": 10}], [])
    >>> workspace_colors(g)
    {10: '#1f77b4', 30: '#ff7f0e'}
    """
    graph = source if isinstance(source, LineageGraph) else source.graph
    projects = sorted(int(p) for p in graph.project_codes()[1].tolist() if p >= 0)
    palette = _TAB10 if len(projects) <= len(_TAB10) else _TAB20
    return {p: palette[k % len(palette)] for k, p in enumerate(projects)}


def workspace_color(source: Snapshot | LineageGraph, workspace: int | str | None) -> str:
    """The colour of one workspace, given by project id or by name; grey for none.

    >>> g = LineageGraph.from_records([{"node_id": 1, "project_id": 30}, {"node_id": 2, "project_id": 10}], [])
    >>> workspace_color(g, 30), workspace_color(g, None)
    ('#ff7f0e', '#b0b0b0')
    """
    colors = workspace_colors(source)
    if workspace is None or (isinstance(workspace, float) and workspace != workspace):   # None or NaN
        return NO_WORKSPACE_COLOR
    if isinstance(workspace, str):
        graph = source if isinstance(source, LineageGraph) else source.graph
        named = graph.directory.workspace_ids(workspace)
        if named:
            return colors.get(named[0], NO_WORKSPACE_COLOR)
    try:
        return colors.get(int(workspace), NO_WORKSPACE_COLOR)
    except (TypeError, ValueError):
        raise KeyError(f"no workspace {workspace!r} in the snapshot") from None


@dataclass(frozen=True)
class SubDagLayout:
    """What the picture shows. Layer 0 holds the start nodes; +d descendants, -d ancestors at depth d."""

    layers: dict[int, list[int]]         # layer → positions drawn, top to bottom
    hidden: dict[int, int]               # layer → nodes of that depth not drawn
    deeper: int                          # descendants beyond `max_depth` (not drawn)
    higher: int                          # ancestors beyond `max_depth` (not drawn)
    edges: list[tuple[int, int]]         # (parent, child) positions, both drawn, in adjacent layers
    total: int                           # nodes reached within `max_depth`, start nodes excluded


def layout_subdag(graph: LineageGraph, node_ids: Iterable[int], *, max_depth: int = 3,
                  direction: Literal["down", "up", "both"] = "down", max_nodes: int = 40,
                  per_layer: int = 10) -> SubDagLayout:
    """Choose and order the boxes: start nodes, then each depth nearest first, within the caps.

    >>> g = LineageGraph.from_records([{"node_id": n} for n in range(1, 7)], [(1, 2), (1, 3), (1, 4), (2, 5), (5, 6)])
    >>> lay = layout_subdag(g, [1], max_depth=2, per_layer=2)
    >>> {d: g.node_ids(np.array(p)).tolist() for d, p in lay.layers.items()}, lay.hidden, lay.deeper
    ({0: [1], 1: [2, 3], 2: [5]}, {1: 1}, 1)
    """
    if direction not in ("down", "up", "both"):
        raise ValueError(f"direction must be 'down', 'up' or 'both', got {direction!r}")
    wanted = list(dict.fromkeys(int(n) for n in node_ids))
    start, unknown = graph.positions(wanted)
    if unknown:
        raise UnknownNodeError(unknown)
    by_layer: dict[int, np.ndarray] = {0: start}
    via_of: dict[int, int] = {}
    beyond = {1: 0, -1: 0}
    for sign, wanted_here in ((1, direction != "up"), (-1, direction != "down")):
        if not wanted_here:
            continue
        reach = graph.descendants_of_positions(start) if sign > 0 else graph.ancestors_of_positions(start)
        near = reach.depth <= max_depth
        beyond[sign] = int((~near).sum())
        via_of.update(zip(reach.idx[near].tolist(), reach.via[near].tolist()))
        for d in range(1, max_depth + 1):
            layer = reach.idx[reach.depth == d]
            if layer.size:
                by_layer[sign * d] = layer
    total = sum(v.size for k, v in by_layer.items() if k)
    children = graph.child_counts()
    shown: set[int] = set()
    layers: dict[int, list[int]] = {}
    hidden: dict[int, int] = {}
    budget = max_nodes
    for key in sorted(by_layer, key=lambda k: (abs(k), -k)):
        candidates = by_layer[key].tolist()
        if key:
            candidates.sort(key=lambda i: (via_of.get(i) not in shown, -int(children[i]), i))
        take = candidates[:max(0, min(per_layer, budget))] if key else candidates[:per_layer]
        budget -= len(take)
        shown.update(take)
        if take:
            layers[key] = take
        if len(candidates) > len(take):
            hidden[key] = len(candidates) - len(take)
    layer_of = {i: k for k, members in layers.items() for i in members}
    edges = [(p, c) for p in shown for c in graph.children(p).tolist() if layer_of.get(c) == layer_of[p] + 1]
    _order_by_neighbours(layers, edges)
    return SubDagLayout(dict(sorted(layers.items())), hidden, beyond[1], beyond[-1], sorted(edges), total)


def _order_by_neighbours(layers: dict[int, list[int]], edges: list[tuple[int, int]]) -> None:
    """Sort each layer by the mean row of its drawn neighbours nearer the start (fewer crossings)."""
    toward_start: dict[int, list[int]] = {}
    layer_of = {i: k for k, members in layers.items() for i in members}
    for p, c in edges:
        if layer_of[c] > 0 and layer_of[p] < layer_of[c]:
            toward_start.setdefault(c, []).append(p)
        elif layer_of[p] < 0 and layer_of[c] > layer_of[p]:
            toward_start.setdefault(p, []).append(c)
    for keys in (sorted(k for k in layers if k > 0), sorted((k for k in layers if k < 0), reverse=True)):
        for key in keys:
            row = {i: r for k in layers for r, i in enumerate(layers[k]) if abs(k) < abs(key)}
            def rank(i: int) -> tuple[float, int]:
                rows = [row[n] for n in toward_start.get(i, ()) if n in row]
                return (sum(rows) / len(rows) if rows else float("inf"), i)
            layers[key].sort(key=rank)


def draw_subdag(source: Snapshot | LineageGraph, node_ids: int | str | Iterable[int | str], *, max_depth: int = 3,
                direction: Literal["down", "up", "both"] = "down",
                color_by: Literal["project", "priority"] = "project", max_nodes: int = 40, per_layer: int = 10,
                title: str | None = None, ax: Axes | None = None) -> Figure:
    """Draw the sub-DAG around `node_ids` (a snapshot's — ids or names — or a graph's) and return the Figure.

    Columns are depths (descendants right, ancestors left with `direction="up"`/`"both"`); boxes show
    the node name and id, frozen/dry-run state, and are coloured by workspace (`color_by="project"`)
    or priority. Start nodes have a thick border. Pass `ax` to draw into your own axes.

    >>> g = LineageGraph.from_records([{"node_id": 1, "node_name": "ods_a", "project_id": 10},
    ...                                {"node_id": 2, "node_name": "dwd_b", "project_id": 20}], [(1, 2)])
    >>> fig = draw_subdag(g, 1, color_by="project")
    >>> [t.get_text() for t in fig.axes[0].texts if "\\n" in t.get_text()]
    ['ods_a\\n1', 'dwd_b\\n2']
    """
    from matplotlib.figure import Figure

    graph = source if isinstance(source, LineageGraph) else source.graph
    workspaces: Mapping[int, str] = graph.directory.workspaces
    if isinstance(source, LineageGraph):
        ids = [int(node_ids)] if isinstance(node_ids, (int, np.integer)) else [int(n) for n in node_ids]
    else:
        ids = source.resolve(node_ids)   # ids or names
    lay = layout_subdag(graph, ids, max_depth=max_depth, direction=direction, max_nodes=max_nodes,
                        per_layer=per_layer)
    columns = sorted(lay.layers)
    lo = min(columns) - (1 if lay.higher else 0)
    hi = max(columns) + (1 if lay.deeper else 0)
    rows = max(len(v) + (1 if k in lay.hidden else 0) for k, v in lay.layers.items())
    if ax is None:
        fig = Figure(figsize=(max(5.0, _COL_IN * (hi - lo + 1)), max(2.4, _ROW_IN * rows + 1.4)), dpi=100)
        ax = fig.add_subplot()
    fig = ax.figure
    ax.set_xlim(lo - 0.5, hi + 0.5)
    ax.set_ylim(-rows / 2 - 0.3, rows / 2 + 0.6)
    ax.set_axis_off()
    fill, legend = _colours(graph, [i for v in lay.layers.values() for i in v], color_by, workspaces)
    where: dict[int, tuple[float, float]] = {}
    starts = set(lay.layers.get(0, ()))
    for key, members in lay.layers.items():
        height = len(members) + (1 if key in lay.hidden else 0)
        for r, i in enumerate(members):
            where[i] = (key, (height - 1) / 2 - r)
            _box(ax, where[i], _label(graph, i), fill[i], bold=i in starts,
                 dashed=bool(graph.is_paused[i] or graph.is_skipped[i]))
        if key in lay.hidden:
            _note(ax, (key, (height - 1) / 2 - len(members)), f"+{lay.hidden[key]} more at depth {abs(key)}")
        ax.text(key, rows / 2 + 0.35, _heading(key), ha="center", va="center", fontsize=8, color="0.35")
    if lay.deeper:
        _note(ax, (hi, 0.0), f"+{lay.deeper} deeper\n(beyond depth {max_depth})")
    if lay.higher:
        _note(ax, (lo, 0.0), f"+{lay.higher} further up\n(beyond depth {max_depth})")
    for p, c in lay.edges:
        _arrow(ax, where[p], where[c])
    ax.set_title(title or _title(graph, lay, ids, direction, max_depth), fontsize=10, loc="left")
    if legend:
        ax.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(len(legend), 6),
                  frameon=False, fontsize=8, title="workspace" if color_by == "project" else "priority",
                  title_fontsize=8)
    return fig


def _label(graph: LineageGraph, i: int) -> str:
    name = graph.column("node_name")[i] or "?"
    if len(name) > _NAME_CHARS:
        name = name[:_NAME_CHARS - 1] + "…"
    state = _STATE.get(graph.column("scheduler_type")[i] or "")
    return f"{name}\n{graph.node_ids(np.array([i]))[0]}" + (f" ({state})" if state else "")


def _heading(key: int) -> str:
    return "start" if key == 0 else (f"depth {key}" if key > 0 else f"upstream {-key}")


def _title(graph: LineageGraph, lay: SubDagLayout, ids: list[int], direction: str, max_depth: int) -> str:
    names = ", ".join(graph.node(n).node_name or str(n) for n in ids[:3]) + (f" +{len(ids) - 3}" if len(ids) > 3 else "")
    drawn = sum(len(v) for k, v in lay.layers.items() if k)
    what = {"down": "downstream", "up": "upstream", "both": "up- and downstream"}[direction]
    return f"{what} of {names}: {lay.total} nodes within {max_depth} hops, {drawn} drawn"


def _colours(graph: LineageGraph, idx: list[int], color_by: str, workspaces: Mapping[int, str]) -> tuple[dict, list]:
    from matplotlib import colormaps
    from matplotlib.patches import Patch

    if color_by == "project":
        from matplotlib.colors import to_rgba

        project = graph.column("project_id")
        keys = sorted({int(project[i]) for i in idx})
        mapping = workspace_colors(graph)
        colour = {k: to_rgba(mapping.get(k, NO_WORKSPACE_COLOR)) for k in keys}
        legend = [Patch(facecolor=_light(colour[k]), edgecolor=_dark(colour[k]),
                        label=workspaces.get(k, str(k) if k >= 0 else "unknown")) for k in keys]
        return {i: colour[int(project[i])] for i in idx}, legend
    if color_by == "priority":
        priority = graph.column("priority")
        ramp = colormaps["YlOrRd"]
        def colour_of(p: int) -> tuple[float, ...]:
            return ramp(0.15 + 0.85 * (max(p, 1) - 1) / 7) if p >= 0 else (0.6, 0.6, 0.6, 1.0)
        keys = sorted({int(priority[i]) for i in idx} | set(_PRIORITIES))
        legend = [Patch(facecolor=_light(colour_of(k)), edgecolor=_dark(colour_of(k)), label=str(k) if k >= 0 else "none")
                  for k in keys]
        return {i: colour_of(int(priority[i])) for i in idx}, legend
    raise ValueError(f"color_by must be 'project' or 'priority', got {color_by!r}")


def _light(colour: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(0.55 * c + 0.45 for c in colour[:3]) + (1.0,)


def _dark(colour: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(0.7 * c for c in colour[:3]) + (1.0,)


def _box(ax: Axes, at: tuple[float, float], text: str, colour: tuple[float, ...], *, bold: bool, dashed: bool) -> None:
    from matplotlib.patches import FancyBboxPatch

    x, y = at
    ax.add_patch(FancyBboxPatch((x - _BOX_W / 2, y - _BOX_H / 2), _BOX_W, _BOX_H, boxstyle="round,pad=0,rounding_size=0.06",
                                facecolor=_light(colour), edgecolor="black" if bold else _dark(colour),
                                linewidth=2.0 if bold else 1.0, linestyle="--" if dashed else "-", zorder=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=7.5, zorder=3, linespacing=1.25,
            fontweight="bold" if bold else "normal")


def _note(ax: Axes, at: tuple[float, float], text: str) -> None:
    from matplotlib.patches import FancyBboxPatch

    x, y = at
    ax.add_patch(FancyBboxPatch((x - _BOX_W / 2, y - _BOX_H / 2), _BOX_W, _BOX_H, boxstyle="round,pad=0,rounding_size=0.06",
                                facecolor="white", edgecolor="0.6", linestyle=":", zorder=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=7.5, color="0.3", style="italic", zorder=3)


def _arrow(ax: Axes, parent: tuple[float, float], child: tuple[float, float]) -> None:
    from matplotlib.patches import FancyArrowPatch

    (px, py), (cx, cy) = parent, child
    ax.add_patch(FancyArrowPatch((px + _BOX_W / 2, py), (cx - _BOX_W / 2, cy), arrowstyle="-|>", mutation_scale=8,
                                 color="0.35", alpha=0.8, linewidth=0.8, zorder=1))
