"""`opsguard demo`: the main job on the embedded default — no cloud account needed.

Starts the loopback DataWorks emulator on a generated demo workspace, syncs it through the real
SDK into a snapshot under the data dir, and prints what was synced. (The only place outside
`sandbox` that imports it: the demo *is* the sandbox.)
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from evaluator.cli.app import DataDirOption, JsonOption, app, handle_errors, print_json, resolve_data_dir
from evaluator.cli.progress import sync_progress_for
from evaluator.cli.sync_cmd import print_summary, summary
from lineage.config import DataWorksSettings
from lineage.credentials import AccessKey
from lineage.snapshots import SnapshotStore
from lineage.sync import SyncRequest, run_sync

DEMO_NODES = 3000
DEMO_SEED = 7


@app.command()
@handle_errors
def demo(
    nodes: Annotated[int, typer.Option(min=50, help="Size of the generated demo workspace.")] = DEMO_NODES,
    seed: Annotated[int, typer.Option(help="Seed of the generated workspace (same seed, same workspace).")] = DEMO_SEED,
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Run opsguard end to end on the built-in DataWorks emulator and a generated demo workspace."""
    from sandbox.emulator import Emulator
    from sandbox.workspace import generate_workspace

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = Console(stderr=True, quiet=json_output)
    started = time.perf_counter()
    fixture = generate_workspace(nodes, seed=seed)
    key = AccessKey(id="demo-" + secrets.token_hex(6), secret=secrets.token_urlsafe(24))
    with Emulator(fixture, access_key_id=key.id, access_key_secret=key.secret) as emulator:
        console.print(f"DataWorks emulator on {emulator.url}: {len(fixture['projects'])} workspaces, "
                      f"{len(fixture['nodes'])} nodes, {len(fixture['edges'])} dependencies")
        from lineage.client import DataWorksClient

        settings = DataWorksSettings(endpoint=emulator.url, rate_limit=2000.0, concurrency=8)
        store = SnapshotStore(resolve_data_dir(data_dir))
        with sync_progress_for(json_output) as progress:
            result = run_sync(DataWorksClient(settings, key), store, SyncRequest(), progress)
    if json_output:
        print_json({"demo": {"nodes": nodes, "seed": seed, "seconds": round(time.perf_counter() - started, 2)},
                    "sync": summary(result)})
        return
    print_summary(result)
    _print_next_steps(store)


def _print_next_steps(store: SnapshotStore) -> None:
    table = Table(title="try next", show_header=False)
    table.add_row("opsguard impact 700000000101", "what a freeze of ods_trade_order_di would block")
    table.add_row("opsguard backfill 700000000101 --from 2026-10-01 --to 2026-10-31", "size of a backfill")
    Console().print(table)
    Console().print(f"snapshots live in {store.dir}")
