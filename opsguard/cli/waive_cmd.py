"""`opsguard waive`: grant, list or revoke a time-limited waiver (see `evaluator.waivers`)."""

from __future__ import annotations

import getpass
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evaluator.waivers import MAX_WAIVER_DAYS, Waiver, WaiverError
from opsguard.audit import AuditError, open_audit_store
from opsguard.cli.app import DataDirOption, JsonOption, app, fail, handle_errors, print_json
from opsguard.cli.node_refs import resolve_offline, resolve_operator
from opsguard.config import OpsguardConfig

__all__ = ["waive"]


@app.command()
@handle_errors
def waive(
    node: Annotated[str | None, typer.Option(help="Waive for operations naming this node (id, or name: looked up "
                                             "in the live snapshot).", show_default=False)] = None,
    baseline: Annotated[int | None, typer.Option(help="...reaching this baseline.", min=0)] = None,
    project: Annotated[int | None, typer.Option(help="...in this workspace.", min=0)] = None,
    operator: Annotated[str | None, typer.Option(help="...by this operator (user id, or a member's name).")] = None,
    event_code: Annotated[str | None, typer.Option("--event-code", help="...of this kind: freeze-node, "
                                                   "unfreeze-node, undeploy-node or backfill-data.")] = None,
    hours: Annotated[float, typer.Option(help=f"How long it lasts (at most {MAX_WAIVER_DAYS * 24} hours).",
                                         min=0.01)] = 4.0,
    reason: Annotated[str | None, typer.Option(help="Why (a change ticket, an incident): kept with it.")] = None,
    by: Annotated[str | None, typer.Option(help="Who grants it (default: your login name).")] = None,
    list_waivers: Annotated[bool, typer.Option("--list", help="List waivers in force or ended in the last "
                                               "7 days.")] = False,
    revoke: Annotated[str | None, typer.Option(help="End this waiver now (its id).", show_default=False)] = None,
    state_url: Annotated[str | None, typer.Option("--state-url", help="The PostgreSQL store of several replicas "
                                                  "(default: server.state_url of opsguard.toml, else the data "
                                                  "dir's SQLite file).", show_default=False)] = None,
    config: Annotated[Path | None, typer.Option("--config", help="opsguard.toml.", show_default=False)] = None,
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Override a WARN or FAIL on purpose, for a while: a Recheck of a matching operation then passes.

    Every scope given must match (node, baseline, workspace, operator, event code; at least one). The checks
    still run; the verdict says the operation went through by waiver, naming it, on the panel, the details
    page and in `opsguard audit`.
    """
    cfg = OpsguardConfig.load(config) if config or Path("opsguard.toml").is_file() else None
    url = state_url if state_url is not None else (cfg.server.state_url if cfg else "")
    directory = data_dir or (Path(cfg.data_dir) if cfg and cfg.data_dir else None)
    node_id = resolve_offline(directory, node, "--node") if node is not None else None
    operator_id = resolve_operator(directory, operator, "--operator") if operator else None
    try:
        store = open_audit_store(directory, url) if (list_waivers or revoke) else _store_for_grant(directory, url)
    except AuditError as exc:   # no state store yet: one line, as `opsguard audit` says it
        fail(str(exc))
    now = datetime.now(UTC)
    try:
        if revoke:
            if not store.revoke_waiver(revoke, now):
                fail(f"no waiver {revoke} in force")
            print_json({"revoked": revoke}) if json_output else Console().print(f"waiver {escape(revoke)} revoked")
            return
        if list_waivers:
            _print(store.waivers_since(now - timedelta(days=7)), now, json_output)
            return
        if not reason:
            fail("--reason is required: a waiver is kept with why it was granted")
        try:
            waiver = Waiver(f"w-{secrets.token_hex(4)}", by or getpass.getuser(), reason, now,
                            now + timedelta(hours=hours), node_id=node_id, baseline_id=baseline, project_id=project,
                            operator=operator_id, event_code=event_code)
        except WaiverError as exc:
            fail(str(exc))
        store.grant_waiver(waiver)
    finally:
        store.close()
    if json_output:
        print_json(waiver.to_json())
    else:
        Console().print(f"waiver [bold]{waiver.waiver_id}[/] granted by {escape(waiver.granted_by)} until "
                        f"{waiver.expires_at:%Y-%m-%d %H:%M} UTC for {escape(waiver.scope())}: Recheck the "
                        f"operation in DataWorks")


def _store_for_grant(directory: Path | None, url: str):  # noqa: ANN202 — an opsguard.store.Store
    from lineage.snapshots import default_data_dir
    from opsguard.store import open_store

    return open_store(data_dir=default_data_dir(directory), state_url=url)


def _print(waivers: list[Waiver], now: datetime, json_output: bool) -> None:
    if json_output:
        print_json({"waivers": [{**w.to_json(), "in_force": w.in_force(now)} for w in waivers]})
        return
    table = Table(title=f"{len(waivers)} waiver(s) in force or ended in the last 7 days", title_justify="left")
    for column in ("id", "scope", "granted by", "until (UTC)", "state", "reason"):
        table.add_column(column, overflow="fold")
    for w in waivers:
        state = "revoked" if w.revoked_at else ("in force" if w.in_force(now) else "ended")
        table.add_row(w.waiver_id, escape(w.scope()), escape(w.granted_by), f"{w.expires_at:%Y-%m-%d %H:%M}", state,
                      escape(w.reason))
    Console(highlight=False).print(table)
