"""`opsguard audit`: past decisions from the state store, filtered; a table, JSON, CSV or a daily summary."""

from __future__ import annotations

import csv
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from opsguard.audit import AuditError, AuditFilter, open_audit_store, read_decisions, summarise
from opsguard.cli.app import DataDirOption, JsonOption, app, fail, handle_errors, print_json, resolve_data_dir
from opsguard.cli.node_refs import resolve_offline, resolve_operator
from opsguard.cli.tables import KEEP, OPTIONAL, PROSE, fitted_table
from opsguard.config import OpsguardConfig
from lineage.directory import Directory
from lineage.errors import LineageError
from lineage.graph_load import load_directory
from lineage.snapshots import SnapshotStore

__all__ = ["audit", "SHOWN_ROWS"]

SHOWN_ROWS = 50  # rows a human reads; --json and --csv have all of them
_STYLE = {"OK": "green", "WARN": "yellow", "FAIL": "bold red"}
#: narrow terminals lose the node ids first, then the checkpoint names, the operator and the workspace (the tip says
#: what was not OK and keeps room to wrap); at 160 columns only the node ids go
TIP_WIDTH = 40     # the tip says what was not OK: it keeps room for a few words a line before ids go
_DECISION_COLUMNS = [("decided (UTC)", KEEP), ("event", KEEP), ("result", KEEP), ("workspace", OPTIONAL),
                     ("operator", OPTIONAL), ("not OK", OPTIONAL), ("nodes", OPTIONAL), ("tip", PROSE)]


@app.command()
@handle_errors
def audit(
    since: Annotated[str | None, typer.Option(help="Decided at or after: 2026-11-20, 2026-11-20T08:00 (UTC unless "
                                                   "it says +08:00), or an age: 30m, 12h, 7d, 2w.")] = None,
    until: Annotated[str | None, typer.Option(help="Decided before (same forms as --since).")] = None,
    event_code: Annotated[str | None, typer.Option("--event-code", help="freeze-node, unfreeze-node, "
                                                   "undeploy-node or backfill-data.")] = None,
    result: Annotated[str | None, typer.Option(help="OK, WARN or FAIL (opsguard's result, before warn_as).")] = None,
    project: Annotated[int | None, typer.Option(help="Workspace id.", min=0)] = None,
    operator: Annotated[str | None, typer.Option(help="Operator: user id, or a workspace member's name.")] = None,
    node: Annotated[str | None, typer.Option(help="A node the event named (nodeIds, or a backfill's root, "
                                             "include or exclude list): id, or name (looked up in the live "
                                             "snapshot).", show_default=False)] = None,
    check: Annotated[str | None, typer.Option(help="Only decisions where this checkpoint was WARN or FAIL "
                                              "(its name, as in --json: downstream-blocked, backfill-volume...).")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many decisions, newest first.", min=1)] = None,
    summary: Annotated[bool, typer.Option("--summary", help="Counts per day: results, and each checkpoint's "
                                          "statuses.")] = False,
    csv_output: Annotated[bool, typer.Option("--csv", help="CSV on stdout (every row).")] = False,
    state_url: Annotated[str | None, typer.Option("--state-url", help="Read this PostgreSQL store (default: "
                                                  "server.state_url of opsguard.toml, else the data dir's SQLite "
                                                  "file).", show_default=False)] = None,
    config: Annotated[Path | None, typer.Option("--config", help="opsguard.toml: its data_dir and "
                                                "server.state_url.", show_default=False)] = None,
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Past decisions: which operations opsguard judged, what it answered, and why.

    Reads the state store directly, also while `opsguard serve` runs: <data-dir>/state.sqlite, or the
    PostgreSQL store of several replicas (--state-url, else server.state_url of opsguard.toml).
    """
    if json_output and csv_output:
        fail("--json and --csv: choose one")
    cfg = _config(config)
    directory = data_dir or (Path(cfg.data_dir) if cfg and cfg.data_dir else None)   # as `opsguard serve` does
    url = state_url if state_url is not None else (cfg.server.state_url if cfg else "")
    try:
        filters = AuditFilter.build(since=since, until=until, event_code=event_code, result=result, project=project,
                                    operator=resolve_operator(directory, operator, "--operator") if operator else None,
                                    check=check, limit=limit,
                                    node=resolve_offline(directory, node, "--node") if node is not None else None)
        store = open_audit_store(directory, url)
        try:
            rows, source = read_decisions(store, filters), store.describe()
        finally:
            store.close()
    except AuditError as exc:
        fail(str(exc))
    if summary:
        counts = summarise(rows).to_dict("records")
        if json_output:
            print_json({"source": source, "filters": filters.to_json(), "decisions": len(rows),
                        "summary": [_plain(r) for r in counts]})
        elif csv_output:
            _write_csv(counts, ("day", "check", "status", "count"))
        else:
            print_summary(counts, len(rows), source)
        return
    if json_output:
        print_json({"source": source, "filters": filters.to_json(), "count": len(rows),
                    "decisions": [_plain(r) for r in rows]})
    elif csv_output:
        _write_csv(rows, tuple(rows[0]) if rows else ())
    else:
        print_decisions(rows, source, names=_names(directory))


def _names(data_dir: Path | None) -> Directory | None:
    """The live snapshot's names, if the data dir has one: decisions are stored with ids only."""
    try:
        ref = SnapshotStore(resolve_data_dir(data_dir)).current()
        return load_directory(ref.path) if ref else None
    except LineageError:
        return None


def _config(path: Path | None) -> OpsguardConfig | None:
    """opsguard.toml (--config, $OPSGUARD_CONFIG, ./opsguard.toml); a broken one counts only when named."""
    try:
        return OpsguardConfig.load(path)
    except LineageError:
        if path is not None:
            raise
        return None


def print_decisions(rows: list[dict[str, Any]], source: str, console: Console | None = None,
                    names: Directory | None = None) -> None:
    """The newest `SHOWN_ROWS` decisions: when, event, workspace, operator, result, nodes, what was not OK.

    Workspaces and operators by name when `names` (the live snapshot's) knows them, else by id; each checkpoint
    name on a line of its own, never split."""
    console = console or Console(highlight=False)
    names = names or Directory()
    cells = []
    for row in rows[:SHOWN_ROWS]:
        flagged = [c["name"] for c in row["checkpoints"] or () if c["status"] != "OK"]
        sent = f" (sent {row['wire_result']})" if row["wire_result"] != row["result"] else ""
        nodes = [str(n) for n in row["node_ids"] or ()]
        cells.append([_when(row["evaluated_at"]), escape(row["event_code"] or ""),
                      Text(row["result"] + sent, style=_STYLE.get(row["result"], "")),
                      escape(names.workspace(row["project_id"]) or ""), escape(names.owner(row["operator"]) or ""),
                      escape("\n".join(flagged) or "—"),
                      ", ".join(nodes[:2]) + (f" +{len(nodes) - 2}" if len(nodes) > 2 else ""),
                      escape(row["tip"] or "")])
    console.print(fitted_table(f"{len(rows):,} decision(s) from {source}", _DECISION_COLUMNS, cells, console.width,
                               prose_width=TIP_WIDTH))
    if len(rows) > SHOWN_ROWS:
        console.print(f"+{len(rows) - SHOWN_ROWS:,} more (use --json or --csv for every row)")


def print_summary(counts: list[dict[str, Any]], decisions: int, source: str, console: Console | None = None) -> None:
    """One row per day and check with its OK / WARN / FAIL counts ("verdict" = the decisions themselves)."""
    console = console or Console(highlight=False)
    table = Table(title=f"{decisions:,} decision(s) from {source}, per day (UTC)", title_justify="left")
    for column in ("day", "check", "OK", "WARN", "FAIL"):
        table.add_column(column, justify="right" if column in ("OK", "WARN", "FAIL") else "left")
    pivot: dict[tuple[str, str], dict[str, int]] = {}
    for row in counts:
        pivot.setdefault((_when(row["day"]), row["check"]), {})[row["status"]] = int(row["count"])
    for (day, name), by in pivot.items():
        table.add_row(day, f"[bold]{name}[/]" if name == "verdict" else name,
                      *(str(by.get(s, "")) or "" for s in ("OK", "WARN", "FAIL")))
    console.print(table)


def _write_csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(v) for v in (row[c] for c in columns)])


def _cell(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ";".join(f"{v['name']}={v['status']}" if isinstance(v, dict) else str(v) for v in value)
    return _text(value)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, (datetime, date)) else v for k, v in row.items()}


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, (datetime, date)) else str(value)


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value or "")[:19].replace("T", " ")
