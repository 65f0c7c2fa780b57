"""`opsguard sync`: DataWorks metadata → a new snapshot, published atomically."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from opsguard.cli.app import DataDirOption, JsonOption, app, handle_errors, print_json, resolve_data_dir
from opsguard.cli.progress import sync_progress_for
from opsguard.config import OpsguardConfig
from lineage.config import parse_timezone
from lineage.credentials import resolve_credentials
from lineage.snapshots import SnapshotStore
from lineage.sync import SyncRequest, SyncResult, run_sync

ConfigOption = Annotated[Path | None, typer.Option("--config", help="opsguard.toml (default: $OPSGUARD_CONFIG, "
                                                   "else ./opsguard.toml if present).", show_default=False)]


@app.command()
@handle_errors
def sync(
    endpoint: Annotated[str | None, typer.Option(help="DataWorks endpoint, host[:port] or http(s)://host[:port]; "
                                                 "default: the config's, else the region's public endpoint.")] = None,
    project: Annotated[list[int] | None, typer.Option("--project", help="Workspace id to sync; repeat for "
                                                      "several. Default: every workspace the credentials list.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Refetch every node's dependencies, not only changed "
                                       "nodes' (run history is always incremental).")] = False,
    rate_limit: Annotated[float | None, typer.Option(help="API requests per second (default from config: 20).")] = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Sync workspace metadata from DataWorks into a new snapshot and make it the live one.

    Credentials come from ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET or the
    Alibaba Cloud credential chain. A failed or interrupted sync leaves the live snapshot as it was.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cfg = OpsguardConfig.load(config)
    settings = cfg.dataworks
    if endpoint:
        settings = settings.model_copy(update={"endpoint": endpoint})
    if rate_limit:
        settings = settings.model_copy(update={"rate_limit": rate_limit})
    credentials = resolve_credentials()
    from lineage.client import DataWorksClient  # imports the SDK (slow): only when syncing

    client = DataWorksClient(settings, credentials)
    store = SnapshotStore(resolve_data_dir(data_dir or (Path(cfg.data_dir) if cfg.data_dir else None)))
    request = SyncRequest(projects=tuple(project or cfg.sync.projects), full=full,
                          history_days=cfg.sync.history_days, extension_code=settings.extension_code,
                          keep_snapshots=cfg.sync.keep_snapshots, tz=parse_timezone(settings.timezone))
    logging.getLogger("opsguard.sync").info("syncing from %s with %s", client.endpoint, credentials.describe())
    with sync_progress_for(json_output) as progress:
        result = run_sync(client, store, request, progress)
    if json_output:
        print_json(summary(result))
    else:
        print_summary(result)


def summary(result: SyncResult) -> dict[str, object]:
    """The `--json` summary: the snapshot published and its `sync_info` row."""
    info = dict(result.info)
    return {"snapshot_id": result.snapshot.id, "path": str(result.snapshot.path), **info}


def print_summary(result: SyncResult) -> None:
    info = result.info
    table = Table(title=f"snapshot {result.snapshot.id} published", show_header=False)
    for label, key in [("mode", "mode"), ("workspaces", "project_count"), ("nodes", "node_count"),
                       ("edges", "edge_count"), ("run history rows", "instance_count"),
                       ("baselines", "baseline_count"), ("API calls", "api_calls"), ("retries", "api_retries"),
                       ("throttled", "throttled"), ("history bizdates fetched", "history_bizdates_fetched")]:
        table.add_row(label, str(info.get(key)))
    unavailable = info.get("members_unavailable")
    table.add_row("workspace members", f"not synced: {unavailable}; owners shown as user ids" if unavailable
                  else str(info.get("member_count", 0)))
    table.add_row("duration", f"{info.get('duration_seconds', 0):.1f} s")
    if info.get("mode_reason"):
        table.add_row("why this mode", str(info["mode_reason"]))
    Console().print(table)
