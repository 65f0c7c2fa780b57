"""`opsguard backfill ROOT_ID --from D --to D`: the volume of a backfill, from the live snapshot.

Same call as the server's backfill check (`lineage.backfill.estimate_backfill`): preview and
enforcement share one code path.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from opsguard.cli.app import DataDirOption, JsonOption, app, fail, handle_errors, print_json
from opsguard.cli.impact_cmd import SHOWN_ROWS, live_graph, parse_node_ids
from lineage.backfill import BackfillEstimate, BackfillRequest, BizdatePeriod, estimate_backfill
from lineage.errors import UnknownNodeError
from lineage.graph import LineageGraph

__all__ = ["backfill", "parse_bizdate"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_bizdate(text: str, flag: str) -> date:
    """A YYYY-MM-DD bizdate; exits 2 naming the flag otherwise.

    >>> parse_bizdate("2026-10-01", "--from")
    datetime.date(2026, 10, 1)
    """
    if not _DATE.match(text.strip()):
        fail(f"{flag}: {text!r} is not a date in YYYY-MM-DD form")
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        fail(f"{flag}: {text!r} is not a valid date ({exc})")


@app.command()
@handle_errors
def backfill(
    root_id: Annotated[str, typer.Argument(help="The backfill's root node id.", metavar="ROOT_ID",
                                           show_default=False)],
    from_: Annotated[str, typer.Option("--from", help="First bizdate, YYYY-MM-DD.", show_default=False)],
    to: Annotated[str, typer.Option("--to", help="Last bizdate, YYYY-MM-DD (inclusive).", show_default=False)],
    include: Annotated[str | None, typer.Option("--include", metavar="IDS",
                                                help="Comma-separated node ids to run (default: root + all "
                                                     "downstream).")] = None,
    exclude: Annotated[str | None, typer.Option("--exclude", metavar="IDS",
                                                help="Comma-separated node ids to dry-run.")] = None,
    all_downstream: Annotated[bool, typer.Option("--all-downstream",
                                                 help="Select root + all descendants (plus --include).")] = False,
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Estimate a backfill: nodes selected, instances (run and dry-run), bizdates, estimated hours,
    and the descendants left out (they keep stale data)."""
    roots = parse_node_ids(root_id, "ROOT_ID")
    if len(roots) != 1:
        fail(f"ROOT_ID: give exactly one root node id, got {root_id!r}")
    root = roots[0]
    begin, end = parse_bizdate(from_, "--from"), parse_bizdate(to, "--to")
    if begin > end:
        fail(f"--from {begin} is after --to {end}")
    include_ids = parse_node_ids(include, "--include") if include is not None else None
    exclude_ids = parse_node_ids(exclude, "--exclude") if exclude is not None else ()
    graph = live_graph(data_dir)
    _, unknown = graph.positions([root, *(include_ids or ()), *exclude_ids])
    if unknown:
        raise UnknownNodeError(unknown)
    request = BackfillRequest(root_id=root, periods=(BizdatePeriod(begin, end),), include_ids=include_ids or None,
                              exclude_ids=exclude_ids, all_downstream=all_downstream)
    estimate = estimate_backfill(graph, request)
    if json_output:
        print_json(estimate.to_json(include_nodes=True))
    else:
        print_estimate(graph, estimate)


def print_estimate(graph: LineageGraph, e: BackfillEstimate, console: Console | None = None) -> None:
    """Summary table plus the first `SHOWN_ROWS` selected nodes and "+N more"."""
    console = console or Console()
    mode = ("root + all downstream (no include list)" if e.selection_mode == "all-downstream"
            else "the include list")
    summary = Table(title=f"backfill of {e.node_ids[0] if e.node_ids else '?'} — an estimate", show_header=False)
    rows = [("selection", f"{e.node_count} nodes: {mode}"),
            ("dry-run (excluded) nodes", str(e.dry_run_node_count)),
            ("bizdates", f"{e.bizdate_count} ({e.bizdates[0]} .. {e.bizdates[-1]})" if e.bizdates else "0"),
            ("instances", f"{e.instance_count} ({e.run_instance_count} run, "
                          f"{e.instance_count - e.run_instance_count} dry-run)"),
            ("estimated hours", f"{e.estimated_hours:.1f} ({e.nodes_without_history} run nodes without history "
                                "use a workspace median or the default)"),
            ("downstream not included", f"{e.downstream_not_included_count} (they keep stale data)"),
            ("snapshot", graph.snapshot_id)]
    if e.bad_cron_node_ids:
        rows.append(("nodes without a valid cron", f"{len(e.bad_cron_node_ids)} (assumed daily)"))
    for label, value in rows:
        summary.add_row(label, value)
    console.print(summary)
    table = Table(title="selected nodes")
    for column in ("node id", "name", "run instances", "dry-run instances", "median run", "hours"):
        table.add_column(column, no_wrap=column == "node id", overflow="fold")
    for p in e.per_node[:SHOWN_ROWS]:
        name = graph.node(p.node_id).node_name or ""
        median = f"{p.median_seconds:.0f} s" + ("" if p.has_history else " (fallback)")
        table.add_row(str(p.node_id), name + (" [dry-run]" if p.dry_run else ""), str(p.run_instances),
                      str(p.dry_run_instances), median, f"{p.hours:.2f}")
    console.print(table)
    if e.node_count > SHOWN_ROWS:
        console.print(f"+{e.node_count - SHOWN_ROWS} more (use --json for the full list)")
