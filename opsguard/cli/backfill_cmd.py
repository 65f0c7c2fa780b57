"""`opsguard backfill ROOT --from D --to D`: the volume of a backfill (nodes by id or name), from the live snapshot.

Same call as the server's backfill check (`lineage.backfill.estimate_backfill`): preview and
enforcement share one code path.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console

from opsguard.cli.app import DataDirOption, JsonOption, app, fail, handle_errors, print_json
from opsguard.cli.impact_cmd import SHOWN_ROWS, live_graph
from opsguard.cli.node_refs import resolve_one, split_refs
from opsguard.cli.tables import KEEP, OPTIONAL, fitted_table, summary_table, write_csv
from lineage.backfill import BackfillEstimate, BackfillRequest, BizdatePeriod, estimate_backfill
from lineage.errors import UnknownNodeError
from lineage.graph import LineageGraph
from lineage.wall_clock import hours_text

__all__ = ["backfill", "backfill_rows", "parse_bizdate", "parse_period", "request_periods", "print_estimate"]

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


def parse_period(text: str) -> BizdatePeriod:
    """A `--period BEGIN:END` value (inclusive YYYY-MM-DD bizdates; `D` alone is one day); exits 2 otherwise.

    >>> parse_period("2026-10-01:2026-10-07"), parse_period("2026-11-10").days
    (BizdatePeriod(begin=datetime.date(2026, 10, 1), end=datetime.date(2026, 10, 7)), 1)
    """
    begin_text, _, end_text = text.strip().partition(":")
    begin = parse_bizdate(begin_text, "--period")
    end = parse_bizdate(end_text, "--period") if end_text else begin
    if begin > end:
        fail(f"--period {text!r}: {begin} is after {end}")
    return BizdatePeriod(begin, end)


def request_periods(from_: str | None, to: str | None, periods: list[str] | None) -> tuple[BizdatePeriod, ...]:
    """The bizdate periods of the command line: `--from/--to` and every `--period`, in the order given."""
    out: list[BizdatePeriod] = []
    if (from_ is None) != (to is None):
        fail("--from and --to go together (or use --period BEGIN:END)")
    if from_ is not None and to is not None:
        begin, end = parse_bizdate(from_, "--from"), parse_bizdate(to, "--to")
        if begin > end:
            fail(f"--from {begin} is after --to {end}")
        out.append(BizdatePeriod(begin, end))
    out.extend(parse_period(p) for p in periods or ())
    if not out:
        fail("give the bizdates: --from D --to D, or --period BEGIN:END (repeatable)")
    return tuple(out)


@app.command()
@handle_errors
def backfill(
    root_id: Annotated[str, typer.Argument(help="The backfill's root node: id or name.", metavar="ROOT",
                                           show_default=False)],
    from_: Annotated[str | None, typer.Option("--from", help="First bizdate, YYYY-MM-DD.",
                                              show_default=False)] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last bizdate, YYYY-MM-DD (inclusive).",
                                           show_default=False)] = None,
    period: Annotated[list[str] | None, typer.Option("--period", metavar="BEGIN:END",
                                                     help="A bizdate period, inclusive, e.g. 2026-10-01:2026-10-07; "
                                                          "repeat for several (DataWorks' multiple periods; "
                                                          "overlaps count once). Combines with --from/--to.",
                                                     show_default=False)] = None,
    include: Annotated[str | None, typer.Option("--include", metavar="NODES",
                                                help="Comma-separated node ids or names to run (default: root + "
                                                     "all downstream).")] = None,
    exclude: Annotated[str | None, typer.Option("--exclude", metavar="NODES",
                                                help="Comma-separated node ids or names to dry-run.")] = None,
    all_downstream: Annotated[bool, typer.Option("--all-downstream",
                                                 help="Select root + all descendants (plus --include).")] = False,
    parallel: Annotated[int, typer.Option("--parallel", metavar="GROUPS",
                                          help="Parallel groups of bizdates (DataWorks' isParallel + "
                                               "parallelGroup); 1 = one bizdate at a time. Changes only the "
                                               "wall-clock estimate.")] = 1,
    csv_output: Annotated[bool, typer.Option("--csv", help="Print the selected nodes as CSV (ids and names).")] = False,
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Estimate a backfill: nodes selected, instances (run and dry-run), bizdates, compute hours (the
    serial sum), the wall-clock estimate (each bizdate's critical path, bizdates in --parallel groups),
    the descendants left out (they keep stale data), and requested ids outside the root's downstream."""
    if csv_output and json_output:
        fail("--csv and --json exclude each other: pick one")
    periods = request_periods(from_, to, period)
    if parallel < 1:
        fail(f"--parallel: {parallel} groups; give 1 (one bizdate at a time) or more")
    graph = live_graph(data_dir)
    root = resolve_one(graph, root_id, "ROOT")
    include_ids = graph.names.resolve_all(split_refs(include)) if include is not None else None
    exclude_ids = tuple(graph.names.resolve_all(split_refs(exclude))) if exclude is not None else ()
    _, unknown = graph.positions([root, *(include_ids or ()), *exclude_ids])
    if unknown:
        raise UnknownNodeError(unknown)
    request = BackfillRequest(root_id=root, periods=periods, include_ids=tuple(include_ids) if include_ids else None,
                              exclude_ids=exclude_ids, all_downstream=all_downstream,
                              is_parallel=parallel > 1, parallel_group=parallel)
    estimate = estimate_backfill(graph, request)
    if json_output:
        print_json(estimate.to_json(include_nodes=True, graph=graph))
    elif csv_output:
        write_csv(BACKFILL_CSV_COLUMNS, backfill_rows(graph, estimate))
    else:
        print_estimate(graph, estimate)


BACKFILL_CSV_COLUMNS = ("node_id", "node_name", "project_id", "workspace_name", "owner_id", "owner_name", "dry_run",
                        "run_instances", "dry_run_instances", "median_seconds", "has_history", "hours")


def backfill_rows(graph: LineageGraph, e: BackfillEstimate) -> list[dict[str, Any]]:
    """Every selected node (root first) with its ids and names and its share of the estimate: the `--csv` rows."""
    d = graph.directory
    rows = []
    for p in e.per_node:
        info = graph.node(p.node_id)
        rows.append({"node_id": p.node_id, "node_name": info.node_name, "project_id": info.project_id,
                     "workspace_name": d.workspace_name(info.project_id), "owner_id": info.owner_id,
                     "owner_name": d.owner_name(info.owner_id), "dry_run": p.dry_run, "run_instances": p.run_instances,
                     "dry_run_instances": p.dry_run_instances, "median_seconds": round(p.median_seconds, 1),
                     "has_history": p.has_history, "hours": round(p.hours, 4)})
    return rows


def print_estimate(graph: LineageGraph, e: BackfillEstimate, console: Console | None = None) -> None:
    """Summary table plus the first `SHOWN_ROWS` selected nodes and "+N more"."""
    console = console or Console()
    mode = ("root + all downstream (no include list)" if e.selection_mode == "all-downstream"
            else "the include list")
    root = f"{e.node_ids[0]} ({graph.node(e.node_ids[0]).node_name or '?'})" if e.node_ids else "?"
    rows = [("selection", f"{e.node_count} nodes: {mode}"),
            ("dry-run (excluded) nodes", str(e.dry_run_node_count)),
            ("bizdates", _bizdates(e)),
            ("instances", f"{e.instance_count} ({e.run_instance_count} run, "
                          f"{e.instance_count - e.run_instance_count} dry-run)"),
            ("compute hours (serial sum)", f"{e.estimated_hours:.1f} ({e.nodes_without_history} run nodes without "
                                           "history use a workspace median or the default)"),
            *_wall_clock_rows(e),
            ("downstream not included", f"{e.downstream_not_included_count} (they keep stale data)"),
            *_outside_rows(graph, e),
            ("snapshot", graph.snapshot_id)]
    if e.bad_cron_node_ids:
        rows.append(("nodes without a valid cron", f"{len(e.bad_cron_node_ids)} (assumed daily)"))
    console.print(summary_table(f"backfill of {root} — an estimate", rows))
    table_rows = []
    for p in e.per_node[:SHOWN_ROWS]:
        info = graph.node(p.node_id)
        median = f"{p.median_seconds:.0f} s" + ("" if p.has_history else " (fallback)")
        table_rows.append([str(p.node_id), (info.node_name or "") + (" [dry-run]" if p.dry_run else ""),
                           graph.directory.owner(info.owner_id) or "", str(p.run_instances), str(p.dry_run_instances),
                           median, f"{p.hours:.2f}"])
    console.print(fitted_table("selected nodes", [("node id", KEEP), ("name", KEEP), ("owner", OPTIONAL),
                                                  ("run", KEEP), ("dry-run", KEEP), ("median run", KEEP),
                                                  ("hours", KEEP)], table_rows, console.width))
    if e.node_count > SHOWN_ROWS:
        console.print(f"+{e.node_count - SHOWN_ROWS} more (use --json or --csv for the full list)")


def _bizdates(e: BackfillEstimate) -> str:
    if not e.bizdates:
        return "0"
    spans = ", ".join(f"{p.begin} .. {p.end}" if p.days > 1 else str(p.begin) for p in e.spans[:4])
    more = f" +{len(e.spans) - 4} more periods" if len(e.spans) > 4 else ""
    return f"{e.bizdate_count} ({spans}{more})"


def _wall_clock_rows(e: BackfillEstimate) -> list[tuple[str, str]]:
    w = e.wall_clock
    if w is None:
        return []
    groups = ("one bizdate at a time" if w.parallel_groups == 1
              else f"{w.parallel_groups} parallel groups of up to {w.longest_group_bizdates} bizdates")
    path = " → ".join(w.critical_path_names[:6]) + (f" … +{len(w.critical_path) - 6}" if len(w.critical_path) > 6
                                                    else "")
    return [("wall clock (estimate)", f"{hours_text(w.hours)}: {groups}, each bizdate its critical path "
                                      f"({w.nodes_without_history} of {w.run_nodes} run nodes without history, "
                                      f"{w.critical_path_without_history} of them on the path)"),
            ("critical path (longest bizdate)", f"{hours_text(w.critical_path_hours)} through {len(w.critical_path)} nodes: "
                                                f"{path or '-'}")]


def _outside_rows(graph: LineageGraph, e: BackfillEstimate) -> list[tuple[str, str]]:
    rows = []
    for label, ids in (("included, outside the root's downstream", e.include_outside_downstream),
                       ("excluded, outside the root's downstream", e.exclude_outside_downstream),
                       ("excluded but not selected (no effect)", e.exclude_not_selected)):
        if ids:
            names = [f"{n} ({graph.node(n).node_name or '?'})" for n in ids[:5]]
            rows.append((label, f"{len(ids)}: " + ", ".join(names) + (f" +{len(ids) - 5} more" if len(ids) > 5 else "")))
    return rows
