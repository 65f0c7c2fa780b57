"""`draw_subdag`: what the picture shows (caps, "+N more", paths back to the start) and that it renders."""

from __future__ import annotations

import io

import numpy as np
import pytest

import lineage
from lineage.draw import layout_subdag
from lineage.errors import UnknownNodeError
from lineage.graph import LineageGraph

ROOT = 700000000101


def fan(width: int, depth: int) -> LineageGraph:
    """Node 0 with `width` children, each the head of a chain `depth` long."""
    nodes = [{"node_id": 0, "node_name": "root", "project_id": 1}]
    edges = []
    for w in range(width):
        prev = 0
        for d in range(1, depth + 1):
            node_id = w * 100 + d
            nodes.append({"node_id": node_id, "node_name": f"n{node_id}", "project_id": 1 + w % 3, "priority": 8})
            edges.append((prev, node_id))
            prev = node_id
    return LineageGraph.from_records(nodes, edges)


def png_bytes(fig) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def test_layers_are_capped_and_the_rest_counted_never_dropped():
    g = fan(width=30, depth=5)
    lay = layout_subdag(g, [0], max_depth=3, per_layer=8, max_nodes=20)
    shown = {d: len(v) for d, v in lay.layers.items()}
    assert shown == {0: 1, 1: 8, 2: 8, 3: 3}            # max_nodes counts every box
    assert lay.hidden == {1: 22, 2: 22, 3: 27} and lay.deeper == 60 and lay.total == 90
    assert all(shown[d] + lay.hidden.get(d, 0) == 30 for d in (1, 2, 3))


def test_a_drawn_node_is_reached_through_a_drawn_node():
    g = fan(width=30, depth=4)
    lay = layout_subdag(g, [0], max_depth=4, per_layer=5)
    drawn = {i for v in lay.layers.values() for i in v}
    children_with_a_drawn_parent = {c for p, c in lay.edges}
    assert drawn - set(lay.layers[0]) == children_with_a_drawn_parent
    assert all(abs(_layer(lay, c) - _layer(lay, p)) == 1 for p, c in lay.edges)


def _layer(lay, i):
    return next(k for k, v in lay.layers.items() if i in v)


def test_up_and_both_directions_put_ancestors_left():
    g = LineageGraph.from_records([{"node_id": n} for n in (1, 2, 3, 4)], [(1, 2), (2, 3), (3, 4)])
    lay = layout_subdag(g, [3], direction="both", max_depth=1)
    assert {k: g.node_ids(np.array(v)).tolist() for k, v in lay.layers.items()} == {-1: [2], 0: [3], 1: [4]}
    assert lay.higher == 1 and lay.deeper == 0
    assert layout_subdag(g, [3], direction="up").layers.keys() == {-2, -1, 0}


def test_bad_arguments_are_refused_clearly():
    g = fan(2, 2)
    with pytest.raises(UnknownNodeError):
        layout_subdag(g, [12345])
    with pytest.raises(ValueError, match="direction"):
        layout_subdag(g, [0], direction="sideways")
    with pytest.raises(ValueError, match="color_by"):
        lineage.draw_subdag(g, [0], color_by="owner")


@pytest.mark.parametrize("color_by", ["project", "priority"])
def test_draws_the_demo_hub_readably(demo_home, color_by):
    with lineage.open_snapshot(demo_home) as snap:
        fig = lineage.draw_subdag(snap, [ROOT], max_depth=3, color_by=color_by, per_layer=10, max_nodes=40)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.texts]
    assert "ods_trade_order_di\n700000000101" in labels
    assert any(t.startswith("+") and "more at depth 1" in t for t in labels) and any("deeper" in t for t in labels)
    assert ax.get_legend() is not None
    assert ax.get_title(loc="left").startswith("downstream of ods_trade_order_di: 306 nodes within 3 hops, 30 drawn")
    assert len(png_bytes(fig)) > 20_000


def test_draws_into_a_given_axes():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    assert lineage.draw_subdag(fan(3, 2), [0], ax=ax, title="mine") is fig and ax.get_title(loc="left") == "mine"


def test_one_colour_per_workspace_in_every_picture(demo_home):
    """A workspace is coloured the same whichever nodes a picture shows (it was numbered per picture)."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    with lineage.open_snapshot(demo_home) as snap:
        colours = lineage.workspace_colors(snap)
        assert list(colours.values()) == [to_hex(colormaps["tab10"](k)) for k in range(len(colours))]
        by_name = {name: lineage.workspace_color(snap, name) for name in snap.workspaces.values()}
        assert by_name == {snap.workspaces[p]: c for p, c in colours.items()}
        seen: dict[str, set[str]] = {}
        for start in (ROOT, *snap.downstream(ROOT).query("workspace != 'dw_trade'")["node_id"][:1]):
            fig = lineage.draw_subdag(snap, [start], max_depth=2, color_by="project")
            for patch, text in zip(fig.axes[0].get_legend().get_patches(), fig.axes[0].get_legend().get_texts()):
                seen.setdefault(text.get_text(), set()).add(to_hex(patch.get_edgecolor()))
    assert len(seen) >= 2 and all(len(edges) == 1 for edges in seen.values()), seen


def test_workspace_colours_depend_on_the_snapshot_not_on_what_is_drawn():
    g = LineageGraph.from_records([{"node_id": 1, "project_id": 30}, {"node_id": 2, "project_id": 10},
                                   {"node_id": 3}], [])
    assert lineage.workspace_colors(g) == {10: "#1f77b4", 30: "#ff7f0e"}
    assert lineage.workspace_color(g, 30) == "#ff7f0e" and lineage.workspace_color(g, None) == "#b0b0b0"
