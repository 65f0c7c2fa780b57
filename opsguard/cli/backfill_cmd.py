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
from lineage.wall_clock import hours_text

__all__ = ["backfill", "parse_bizdate", "parse_period", "request_periods", "print_estimate"]

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
    root_id: Annotated[str, typer.Argument(help="The backfill's root node id.", metavar="ROOT_ID",
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
    include: Annotated[str | None, typer.Option("--include", metavar="IDS",
                                                help="Comma-separated node ids to run (default: root + all "
                                                     "downstream).")] = None,
    exclude: Annotated[str | None, typer.Option("--exclude", metavar="IDS",
                                                help="Comma-separated node ids to dry-run.")] = None,
    all_downstream: Annotated[bool, typer.Option("--all-downstream",
                                                 help="Select root + all descendants (plus --include).")] = False,
    parallel: Annotated[int, typer.Option("--parallel", metavar="GROUPS",
                                          help="Parallel groups of bizdates (DataWorks' isParallel + "
                                               "parallelGroup); 1 = one bizdate at a time. Changes only the "
                                               "wall-clock estimate.")] = 1,
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Estimate a backfill: nodes selected, instances (run and dry-run), bizdates, compute hours (the
    serial sum), the wall-clock estimate (each bizdate's critical path, bizdates in --parallel groups),
    the descendants left out (they keep stale data), and requested ids outside the root's downstream."""
    roots = parse_node_ids(root_id, "ROOT_ID")
    if len(roots) != 1:
        fail(f"ROOT_ID: give exactly one root node id, got {root_id!r}")
    root = roots[0]
    periods = request_periods(from_, to, period)
    if parallel < 1:
        fail(f"--parallel: {parallel} groups; give 1 (one bizdate at a time) or more")
    include_ids = parse_node_ids(include, "--include") if include is not None else None
    exclude_ids = parse_node_ids(exclude, "--exclude") if exclude is not None else ()
    graph = live_graph(data_dir)
    _, unknown = graph.positions([root, *(include_ids or ()), *exclude_ids])
    if unknown:
        raise UnknownNodeError(unknown)
    request = BackfillRequest(root_id=root, periods=periods, include_ids=include_ids or None,
                              exclude_ids=exclude_ids, all_downstream=all_downstream,
                              is_parallel=parallel > 1, parallel_group=parallel)
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
