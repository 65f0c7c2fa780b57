"""`opsguard check EVENT.json`: the verdict a DataWorks event would get, offline, posting nothing."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console
from rich.text import Text

from opsguard.cli.tables import KEEP, PROSE, new_table
from opsguard.cli.app import (EXIT_FAIL, EXIT_OK, DataDirOption, JsonOption, app, fail, handle_errors, print_json,
                               resolve_data_dir)
from evaluator.evaluate import evaluate
from evaluator.events import Event, EventParseError, parse_event
from evaluator.policy import Policy, PolicyError, default_policy, load_policy, policy_from_mapping, \
    read_extension_options
from evaluator.verdict import Status, Verdict
from opsguard.config import OpsguardConfig
from lineage.directory import Directory
from lineage.errors import LineageError
from lineage.graph import LineageGraph
from lineage.snapshots import SnapshotStore

_STYLE = {Status.OK: "bold green", Status.WARN: "bold yellow", Status.FAIL: "bold red"}


@app.command()
@handle_errors
def check(
    event_file: Annotated[str, typer.Argument(metavar="EVENT.json", help="The event message: a CloudEvents "
                                              "envelope as EventBridge pushes it, or its bare `data`; - for stdin.")],
    policy_file: Annotated[Path | None, typer.Option("--policy", help="Policy TOML (default: the [policy] table "
                                                     "of opsguard.toml if present, else the built-in default).",
                                                     show_default=False)] = None,
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Evaluate one event message against the live snapshot and print the verdict; nothing is posted.

    Exit code 0 for OK and WARN, 1 for FAIL, 2 for unreadable input, a bad policy or no snapshot. An
    extension-point event whose id and code read but whose payload does not gets the on_error verdict,
    as the server would answer it.
    """
    raw = _read(event_file)
    try:
        event: Event = parse_event(raw)
    except EventParseError as exc:
        if exc.unreadable is None:
            fail(f"{event_file}: not a DataWorks event message: {exc}")
        event = exc.unreadable   # identified but unreadable: the on_error verdict the server would answer
    config = _config(required=policy_file is None)
    policy = _policy(policy_file, config)
    ref = SnapshotStore(resolve_data_dir(data_dir)).require_current()
    graph = LineageGraph.from_snapshot(ref.path)
    try:
        options = read_extension_options(ref.path)
    except (LineageError, duckdb.Error):  # a snapshot without the options table: no workspace options
        options = {}
    verdict = evaluate(event, graph, policy, options=options)
    if json_output:  # doc_url absolute when the config names the server's public URL
        print_json(verdict.to_json(doc_base=config.server.public_url if config else ""))
    else:
        print_verdict(verdict, names=graph.directory)
    raise typer.Exit(EXIT_FAIL if verdict.result is Status.FAIL else EXIT_OK)


def _read(event_file: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if event_file == "-" else Path(event_file).read_bytes()
    except OSError as exc:
        fail(f"cannot read {event_file}: {exc.strerror or exc}")


def _config(*, required: bool) -> OpsguardConfig | None:
    """opsguard.toml ($OPSGUARD_CONFIG, else ./opsguard.toml if present): its policy unless --policy is given,
    its server's public URL for `doc_url`. A broken file is an error only when its policy is needed."""
    try:
        return OpsguardConfig.load()
    except LineageError:
        if required:
            raise
        return None


def _policy(policy_file: Path | None, config: OpsguardConfig | None) -> Policy:
    try:
        if policy_file is not None:
            return load_policy(policy_file)
        if config is not None and config.policy:
            return policy_from_mapping(config.policy, f"{config.path} [policy]")
        return default_policy()
    except PolicyError as exc:
        fail(f"bad policy: {exc}")


def print_verdict(verdict: Verdict, console: Console | None = None, names: Directory | None = None) -> None:
    """The human view: result and tip, one row per checkpoint, the impact or backfill figures. `names`: the
    snapshot's, for the workspace and operator by name (ids without)."""
    console = console or Console(highlight=False, soft_wrap=True)
    names = names or Directory()
    head = Text()
    head.append(f"{verdict.result.value}", style=_STYLE[verdict.result])
    head.append(f"  {verdict.event_code}  message {verdict.message_id}  workspace "
                f"{_named(names.workspace_name(verdict.project_id), verdict.project_id)}"
                f"{_operator(names, verdict.operator)}  (sent as {verdict.wire_result})")
    # the head and the tip wrap at a terminal's (or COLUMNS') width, between words; piped, each stays one line
    fold = console.is_terminal or "COLUMNS" in os.environ
    console.print(head, soft_wrap=not fold)
    console.print(Text(verdict.tip), soft_wrap=not fold)
    table = new_table(None, [("checkpoint", KEEP), ("status", KEEP), ("message", PROSE)])
    for cp in verdict.checkpoints:
        table.add_row(cp.name, Text(cp.status.value, style=_STYLE[cp.status]), cp.message)
    console.print(table)
    figures = verdict.backfill if verdict.backfill is not None else verdict.impact
    if figures:
        shown = {k: v for k, v in figures.items() if not isinstance(v, (list, dict, tuple))}
        console.print("  ".join(f"{k}={v}" for k, v in shown.items()), soft_wrap=not fold)
    snap = verdict.snapshot
    age = "" if snap.age_seconds is None else f", {snap.age_seconds:,.0f} s old"
    console.print(f"snapshot {snap.id}{age}; evaluated in {verdict.latency_ms:.1f} ms", style="dim")


def _named(name: str | None, ident: object) -> str:
    return f"{name} ({ident})" if name else str(ident)


def _operator(names: Directory, operator: str | None) -> str:
    return f"  operator {_named(names.owner_name(operator), operator)}" if operator else ""
