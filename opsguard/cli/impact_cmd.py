"""`opsguard impact NODE_ID...`: the downstream impact of changing nodes, from the live snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from opsguard.cli.app import DataDirOption, JsonOption, app, fail, handle_errors, print_json, resolve_data_dir
from lineage.errors import UnknownNodeError
from lineage.explain import describe_path, explain_path
from lineage.graph import LineageGraph
from lineage.impact import Impact, compute_impact
from lineage.snapshots import SnapshotStore

__all__ = ["impact", "live_graph", "parse_node_ids", "print_path", "SHOWN_ROWS"]

SHOWN_ROWS = 20  # cap what a human reads, never what is computed


def live_graph(data_dir: Path | None) -> LineageGraph:
    """The graph of the data dir's live snapshot; `SnapshotError` (exit 2) when there is none."""
    ref = SnapshotStore(resolve_data_dir(data_dir)).require_current()
    return LineageGraph.from_snapshot(ref.path)


def parse_node_ids(values: list[str] | str, what: str) -> tuple[int, ...]:
    """Node ids from arguments and/or comma-separated lists; exits 2 naming the first bad one.

    >>> parse_node_ids(["7", "8,9"], "NODE_ID")
    (7, 8, 9)
    """
    items = [values] if isinstance(values, str) else values
    out: list[int] = []
    for item in items:
        for text in item.split(","):
            text = text.strip()
            if not text:
                continue
            if not text.isdigit():
                fail(f"{what}: {text!r} is not a node id (expected digits)")
            out.append(int(text))
    return tuple(out)


@app.command()
@handle_errors
def impact(
    node_ids: Annotated[list[str], typer.Argument(help="Node ids (space- or comma-separated).",
                                                  metavar="NODE_ID...", show_default=False)],
    max_depth: Annotated[int | None, typer.Option("--max-depth", min=0,
                                                  help="Only descendants up to this many hops away.")] = None,
    explain: Annotated[str | None, typer.Option("--explain", metavar="TARGET", show_default=False,
                                                help="Print the dependency path from the changed node(s) to "
                                                     "this descendant instead, also past --max-depth (exit 2 if "
                                                     "it is not one).")] = None,
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Downstream impact of the nodes: descendants (depth, and the parent each was reached via),
    cross-workspace reach, baselines, high-priority nodes, owners, frozen and dry-run descendants.

    With --explain TARGET: why TARGET is impacted, as the chain of parents from a changed node to it."""
    ids = parse_node_ids(node_ids, "NODE_ID")
    if not ids:
        fail("NODE_ID: give at least one node id")
    graph = live_graph(data_dir)
    result = compute_impact(graph, ids, max_depth=max_depth)
    if result.unknown:
        raise UnknownNodeError(result.unknown)
    if explain is not None:
        targets = parse_node_ids(explain, "--explain")
        if len(targets) != 1:
            fail("--explain: give exactly one node id")
        path = explain_path(graph, result, targets[0])   # past --max-depth too: the path, said to be deeper
        beyond = max_depth is not None and len(path) - 1 > max_depth
        if json_output:
            print_json({"nodes": list(result.nodes), "target": targets[0], "depth": len(path) - 1,
                        "path": describe_path(graph, path),
                        **({"max_depth_limit": max_depth, "beyond_max_depth": beyond} if max_depth is not None
                           else {})})
        else:
            print_path(graph, path)
            if beyond:
                Console().print(f"{targets[0]} is {len(path) - 1} hops down, deeper than --max-depth {max_depth}: "
                                "the impact above stops before it")
        return
    if json_output:
        print_json(result.to_json(graph))
    else:
        print_impact(graph, result)


def print_impact(graph: LineageGraph, result: Impact, console: Console | None = None) -> None:
    """Summary table plus the first `SHOWN_ROWS` descendants, nearest first, and "+N more"."""
    console = console or Console()
    names = ", ".join(f"{n} ({graph.node(n).node_name or '?'})" for n in result.nodes[:5])
    more = f" +{len(result.nodes) - 5} more" if len(result.nodes) > 5 else ""
    summary = Table(title=f"impact of {names}{more}", show_header=False)
    live = result.downstream_count - result.paused_count - result.skipped_count
    rows = [("descendants", f"{result.downstream_count} ({live} live, {result.paused_count} frozen, "
                            f"{result.skipped_count} dry-run)"),
            ("max depth", str(result.max_depth) + (f" (limited to {result.truncated_at})"
                                                   if result.truncated_at is not None else "")),
            ("in other workspaces", str(result.cross_project_count)),
            ("high-priority descendants", str(result.high_priority_count)),
            ("baselines touched", _capped([str(b) for b in result.baseline_ids], 8) or "none"),
            ("owners", _capped(list(result.owners), 8) or "none"),
            ("by depth", ", ".join(f"{d}: {c}" for d, c in result.by_depth.items()) or "-"),
            ("snapshot", graph.snapshot_id)]
    for label, value in rows:
        summary.add_row(label, value)
    console.print(summary)
    if not result.downstream_count:
        return
    table = Table(title="descendants (nearest first)")
    for column in ("node id", "name", "depth", "via", "workspace", "owner", "scheduler"):
        table.add_column(column, no_wrap=column in ("node id", "via", "workspace"), overflow="fold")
    for row in result.descendants(graph)[:SHOWN_ROWS]:
        info = graph.node(row["node_id"])
        table.add_row(str(row["node_id"]), info.node_name or "", str(row["depth"]), str(row["via"]),
                      str(info.project_id), info.owner_id or "", info.scheduler_type or "")
    console.print(table)
    if result.downstream_count > SHOWN_ROWS:
        console.print(f"+{result.downstream_count - SHOWN_ROWS} more (use --json for the full list)")


def print_path(graph: LineageGraph, path: tuple[int, ...], console: Console | None = None) -> None:
    """One line per hop, the changed node first: depth, node id, name, workspace, owner, state."""
    console = console or Console()
    table = Table(title=f"why {path[-1]} is impacted: {len(path) - 1} hop(s) from {path[0]}")
    for column in ("depth", "node id", "name", "workspace", "owner", "scheduler"):
        table.add_column(column, no_wrap=column != "name", overflow="fold")
    for row in describe_path(graph, path):
        table.add_row(str(row["depth"]), str(row["node_id"]), row["node_name"] or "", str(row["project_id"]),
                      row["owner_id"] or "", row["scheduler_type"] or "")
    console.print(table)
    console.print(" → ".join(graph.node(n).node_name or str(n) for n in path))


def _capped(items: list[str], cap: int) -> str:
    more = f" +{len(items) - cap} more" if len(items) > cap else ""
    return ", ".join(items[:cap]) + more
