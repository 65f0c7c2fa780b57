"""`opsguard impact NODE...`: the downstream impact of changing nodes (ids or names), from the live snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from opsguard.cli.app import DataDirOption, JsonOption, app, fail, handle_errors, print_json, resolve_data_dir
from opsguard.cli.node_refs import resolve_one, resolve_refs
from opsguard.cli.tables import KEEP, OPTIONAL, fitted_table, summary_table, write_csv
from lineage.errors import UnknownNodeError
from lineage.explain import describe_path, explain_path
from lineage.graph import LineageGraph
from lineage.impact import Impact, compute_impact
from lineage.snapshots import SnapshotStore

__all__ = ["impact", "impact_rows", "live_graph", "print_path", "SHOWN_ROWS"]

SHOWN_ROWS = 20  # cap what a human reads, never what is computed


def live_graph(data_dir: Path | None) -> LineageGraph:
    """The graph of the data dir's live snapshot; `SnapshotError` (exit 2) when there is none."""
    ref = SnapshotStore(resolve_data_dir(data_dir)).require_current()
    return LineageGraph.from_snapshot(ref.path)


@app.command()
@handle_errors
def impact(
    node_ids: Annotated[list[str], typer.Argument(help="Node ids or names (space- or comma-separated).",
                                                  metavar="NODE...", show_default=False)],
    max_depth: Annotated[int | None, typer.Option("--max-depth", min=0,
                                                  help="Only descendants up to this many hops away.")] = None,
    explain: Annotated[str | None, typer.Option("--explain", metavar="TARGET", show_default=False,
                                                help="Print the dependency path from the changed node(s) to "
                                                     "this descendant (id or name) instead, also past "
                                                     "--max-depth (exit 2 if it is not one).")] = None,
    csv_output: Annotated[bool, typer.Option("--csv", help="Print the descendants as CSV (ids and names).")] = False,
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Downstream impact of the nodes (ids or names): descendants (depth, and the parent each was reached via),
    cross-workspace reach, baselines, high-priority nodes, owners, frozen and dry-run descendants.

    With --explain TARGET: why TARGET is impacted, as the chain of parents from a changed node to it.
    A name several nodes share lists them (exit 2): pass the id instead."""
    if csv_output and json_output:
        fail("--csv and --json exclude each other: pick one")
    graph = live_graph(data_dir)
    ids = resolve_refs(graph, node_ids, "NODE")
    result = compute_impact(graph, ids, max_depth=max_depth)
    if result.unknown:
        raise UnknownNodeError(result.unknown)
    if explain is not None:
        target = resolve_one(graph, explain, "--explain")
        path = explain_path(graph, result, target)   # past --max-depth too: the path, said to be deeper
        beyond = max_depth is not None and len(path) - 1 > max_depth
        rows = describe_path(graph, path)
        if json_output:
            print_json({"nodes": list(result.nodes), "target": target, "depth": len(path) - 1, "path": rows,
                        **({"max_depth_limit": max_depth, "beyond_max_depth": beyond} if max_depth is not None
                           else {})})
        elif csv_output:
            write_csv(PATH_CSV_COLUMNS, rows)
        else:
            print_path(graph, path)
            if beyond:
                Console().print(f"{target} is {len(path) - 1} hops down, deeper than --max-depth {max_depth}: "
                                "the impact above stops before it")
        return
    if json_output:
        print_json(result.to_json(graph))
    elif csv_output:
        write_csv(IMPACT_CSV_COLUMNS, impact_rows(graph, result))
    else:
        print_impact(graph, result)


#: the descendants table; at 100 columns the scheduler type goes first, then the via id
DESCENDANT_COLUMNS = [("node id", KEEP), ("name", KEEP), ("depth", KEEP), ("via", OPTIONAL), ("workspace", KEEP),
                      ("owner", KEEP), ("scheduler", OPTIONAL)]
IMPACT_CSV_COLUMNS = ("node_id", "node_name", "depth", "via", "via_name", "project_id", "workspace_name",
                      "owner_id", "owner_name", "scheduler_type", "priority", "baseline_id", "baseline_name")
PATH_CSV_COLUMNS = ("depth", "node_id", "node_name", "project_id", "workspace_name", "owner_id", "owner_name",
                    "scheduler_type")


def impact_rows(graph: LineageGraph, result: Impact) -> list[dict[str, Any]]:
    """Every descendant with its ids and names: the `--csv` rows (and the table's)."""
    rows = result.descendants(graph, names=True)
    via_names = graph.labels(result.reach.via)
    priority = graph.column("priority")[result.reach.idx].tolist()
    own = graph.column("baseline_id")[result.reach.idx].tolist()
    scheduler = graph.column("scheduler_type")[result.reach.idx].tolist()
    for row, via_name, p, b, s in zip(rows, via_names, priority, own, scheduler):
        row.update(via_name=via_name, priority=p if p >= 0 else None, baseline_id=b if b >= 0 else None,
                   baseline_name=graph.directory.baseline_name(b), scheduler_type=s)
    return rows


def print_impact(graph: LineageGraph, result: Impact, console: Console | None = None) -> None:
    """Summary table plus the first `SHOWN_ROWS` descendants, nearest first, and "+N more"."""
    console = console or Console()
    d = graph.directory
    names = ", ".join(f"{n} ({graph.node(n).node_name or '?'})" for n in result.nodes[:5])
    more = f" +{len(result.nodes) - 5} more" if len(result.nodes) > 5 else ""
    live = result.downstream_count - result.paused_count - result.skipped_count
    rows = [("descendants", f"{result.downstream_count} ({live} live, {result.paused_count} frozen, "
                            f"{result.skipped_count} dry-run)"),
            ("max depth", str(result.max_depth) + (f" (limited to {result.truncated_at})"
                                                   if result.truncated_at is not None else "")),
            ("in other workspaces", str(result.cross_project_count)),
            ("high-priority descendants", str(result.high_priority_count)),
            ("baselines touched", _capped([d.baseline(b) or "" for b in result.baseline_ids], 8) or "none"),
            ("owners", _capped([d.owner(o) or "" for o in result.owners], 8) or "none"),
            ("by depth", ", ".join(f"{k}: {c}" for k, c in result.by_depth.items()) or "-"),
            ("snapshot", graph.snapshot_id)]
    console.print(summary_table(f"impact of {names}{more}", rows))
    if not result.downstream_count:
        return
    rows = [[str(row["node_id"]), row["node_name"] or "", str(row["depth"]), str(row["via"]),
             d.workspace(row["project_id"]) or "", d.owner(row["owner_id"]) or "", row["scheduler_type"] or ""]
            for row in impact_rows(graph, result)[:SHOWN_ROWS]]
    console.print(fitted_table("descendants (nearest first)", DESCENDANT_COLUMNS, rows, console.width))
    if result.downstream_count > SHOWN_ROWS:
        console.print(f"+{result.downstream_count - SHOWN_ROWS} more (use --json or --csv for the full list)")


def print_path(graph: LineageGraph, path: tuple[int, ...], console: Console | None = None) -> None:
    """One line per hop, the changed node first: depth, node id, name, workspace, owner, state."""
    console = console or Console()
    d = graph.directory
    rows = [[str(row["depth"]), str(row["node_id"]), row["node_name"] or "", d.workspace(row["project_id"]) or "",
             d.owner(row["owner_id"]) or "", row["scheduler_type"] or ""] for row in describe_path(graph, path)]
    console.print(fitted_table(f"why {path[-1]} is impacted: {len(path) - 1} hop(s) from {path[0]}",
                               [("depth", KEEP), ("node id", KEEP), ("name", KEEP), ("workspace", OPTIONAL),
                                ("owner", KEEP), ("scheduler", OPTIONAL)], rows, console.width))
    console.print(" → ".join(graph.node(n).node_name or str(n) for n in path), soft_wrap=True)


def _capped(items: list[str], cap: int) -> str:
    more = f" +{len(items) - cap} more" if len(items) > cap else ""
    return ", ".join(items[:cap]) + more
