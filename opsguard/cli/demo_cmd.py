"""`opsguard demo`: the whole loop on the embedded default — no cloud account needed.

Loopback DataWorks emulator on a generated workspace → sync through the real SDK → the opsguard
server (uvicorn in a thread, 127.0.0.1, a free port) → the sample events pushed over HTTP, signed as
EventBridge signs, with a test key pair → verdicts reported back to the emulator with
`UpdateWorkbenchEventResult` → a table of verdicts and the details-page URLs. (The only place outside
`sandbox` that imports it: the demo *is* the sandbox.)
"""

from __future__ import annotations

import json
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from opsguard.cli.app import DataDirOption, JsonOption, app, fail, handle_errors, print_json, resolve_data_dir
from opsguard.cli.progress import sync_progress_for
from opsguard.cli.sync_cmd import print_summary, summary
from opsguard.cli.tables import KEEP, PROSE, new_table
from lineage.config import DataWorksSettings
from lineage.credentials import AccessKey
from lineage.graph import LineageGraph
from lineage.snapshots import SnapshotStore
from lineage.sync import SyncRequest, SyncResult, run_sync
from opsguard.store import STATE_FILE

DEMO_NODES = 3000
DEMO_SEED = 7
DEMO_EXTENSION_CODE = "opsguard-demo"
# The order things happen in DataWorks: the freeze is checked, done (node-change-updated: PAUSE),
# later undone; then an undeploy and a backfill are checked.
SAMPLE_ORDER = ("freeze-node", "node-change-updated", "unfreeze-node", "undeploy-node", "backfill-data")
REPORT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class DemoRow:
    """One pushed sample and what became of it."""

    event: str
    message_id: str
    http_status: int
    nodes: str
    result: str | None
    check_result: str | None
    tip: str | None
    details_url: str | None

    def to_json(self) -> dict[str, Any]:
        return {"event": self.event, "message_id": self.message_id, "http_status": self.http_status,
                "nodes": self.nodes, "result": self.result, "check_result": self.check_result, "tip": self.tip,
                "details_url": self.details_url}


@app.command()
@handle_errors
def demo(
    nodes: Annotated[int, typer.Option(min=50, help="Size of the generated demo workspace.")] = DEMO_NODES,
    seed: Annotated[int, typer.Option(help="Seed of the generated workspace (same seed, same workspace).")] = DEMO_SEED,
    port: Annotated[int, typer.Option(help="Port of the demo's server on 127.0.0.1 (0 picks a free one).", min=0,
                                      max=65535)] = 0,
    keep_serving: Annotated[bool, typer.Option("--serve", help="Keep the server and emulator running afterwards "
                                               "(Ctrl-C to stop), so the details pages stay open.")] = False,
    json_output: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Run opsguard end to end on the built-in DataWorks emulator and a generated demo workspace."""
    from sandbox.emulator import Emulator
    from sandbox.pusher import generate_test_keypair
    from sandbox.workspace import generate_workspace

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = Console(stderr=True, quiet=json_output)
    started = time.perf_counter()
    fixture = generate_workspace(nodes, seed=seed)
    key = AccessKey(id="demo-" + secrets.token_hex(6), secret=secrets.token_urlsafe(24))
    directory = resolve_data_dir(data_dir)
    with Emulator(fixture, access_key_id=key.id, access_key_secret=key.secret) as emulator:
        console.print(f"DataWorks emulator on {emulator.url}: {len(fixture['projects'])} workspaces, "
                      f"{len(fixture['nodes'])} nodes, {len(fixture['edges'])} dependencies")
        from lineage.client import DataWorksClient

        settings = DataWorksSettings(endpoint=emulator.url, rate_limit=2000.0, concurrency=8,
                                     extension_code=DEMO_EXTENSION_CODE)
        store = SnapshotStore(directory)
        with sync_progress_for(json_output) as progress:
            result = run_sync(DataWorksClient(settings, key), store, SyncRequest(), progress)
        if not json_output:
            print_summary(result)
        private_pem, public_pem = generate_test_keypair()
        client = partial(DataWorksClient, settings.model_copy(update={"max_attempts": 1, "rate_limit": 500.0}), key)
        with _DemoServer(directory, client, public_pem, port) as server:
            console.print(f"opsguard server on {server.url}; pushing {len(SAMPLE_ORDER)} signed sample events")
            rows = _push_samples(server.url, private_pem, server.service, emulator, directory)
            _print(rows, result, json_output, nodes, seed, started, server.url, directory / STATE_FILE)
            if keep_serving:
                console.print(f"serving {server.url}/checks — Ctrl-C to stop")
                _wait_for_interrupt()
    if any(r.http_status >= 300 or (r.check_result is None and r.event != "node-change-updated") for r in rows):
        fail("the demo did not complete: some events were not accepted or not reported", code=1)


class _DemoServer:
    """The opsguard service + HTTP server of the demo, storing into the data dir's state store (so
    `opsguard audit --data-dir …` shows the demo's decisions afterwards)."""

    def __init__(self, directory: Path, client_factory: Callable[[], Any], public_pem: bytes, port: int = 0):
        from opsguard.config import ScheduleSettings, ServerSettings
        from opsguard.http.access import AccessPolicy
        from opsguard.http.app import ServerThread, create_app, listen_socket
        from opsguard.service import Service, ServiceOptions
        from opsguard.webhook.auth import SignatureAuth

        options = ServiceOptions(data_dir=directory, server=ServerSettings(port=0, report_backoff_cap_seconds=2.0),
                                 schedule=ScheduleSettings(refresh_minutes=0, full_sync_at=""),
                                 extension_code=DEMO_EXTENSION_CODE)
        # loopback only, pages open: the demo is a local sandbox (its details links are signed all the same)
        self.service = Service(options, client_factory=client_factory, auth=SignatureAuth(public_pem),
                               access=AccessPolicy(mode="none"))
        self._create_app, self._thread_cls, self._listen = create_app, ServerThread, listen_socket
        self._port = port
        self._thread: Any = None
        self.url = ""

    def __enter__(self) -> _DemoServer:
        if self._port:
            self._listen("127.0.0.1", self._port).close()   # a busy --port is one line, before anything starts
        self.service.start()
        self._thread = self._thread_cls(self._create_app(self.service), port=self._port).start()
        self.url = self._thread.url
        self.service.base_url = self.url
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._thread.stop()
        self.service.stop()


def _push_samples(url: str, private_pem: bytes, service: Any, emulator: Any, directory: Path) -> list[DemoRow]:
    from sandbox.pusher import push

    name = _node_namer(directory)
    pushed = []
    for code in SAMPLE_ORDER:
        envelope = json.loads(resources.files("evaluator").joinpath(f"demo_samples/{code}.json").read_text("utf-8"))
        # Each run is new to the store (which keeps earlier runs' decisions): fresh message and check ids.
        envelope["id"] = str(uuid.uuid4())
        if "extensionBizId" in envelope["data"]:
            envelope["data"]["extensionBizId"] = f"demo-{uuid.uuid4().hex[:12]}"
        reply = push(f"{url}/events", envelope, private_key_pem=private_pem)
        pushed.append((code, envelope, reply.status))
    waiting = {env["id"] for code, env, status in pushed if status == 202}
    deadline = time.monotonic() + REPORT_TIMEOUT_S
    while waiting and time.monotonic() < deadline:   # reported, and the outcome stored (it follows the answer)
        waiting -= {r["MessageId"] for r in emulator.results if _finished(service.store.inbox_row(r["MessageId"]))}
        time.sleep(0.05)
    reported = {r["MessageId"]: r for r in emulator.results}
    rows = []
    for code, envelope, status in pushed:
        mid, data = envelope["id"], envelope["data"]
        stored = service.store.verdict(mid)
        sent = reported.get(mid)
        rows.append(DemoRow(code, mid, status, _nodes(data, name), stored.result if stored else None,
                            sent["CheckResult"] if sent else None, sent["CheckResultTip"] if sent else None,
                            service.details_url(mid) if stored else None))
    return rows


def _finished(row: Any) -> bool:
    return row is not None and row.status.finished


def _nodes(data: dict[str, Any], name: Callable[[Any], str]) -> str:
    """The nodes an event names, by name (the id when the snapshot does not know it)."""
    if "nodeIds" in data:
        return ", ".join(name(n) for n in data["nodeIds"])
    if "rootNodeId" in data:
        return f"root {name(data['rootNodeId'])} + {max(len(data.get('includeNodeIds') or []) - 1, 0)} selected"
    return name(data["nodeId"]) if "nodeId" in data else "—"


def _node_namer(directory: Path) -> Callable[[Any], str]:
    graph = LineageGraph.from_snapshot(SnapshotStore(directory).require_current().path)

    def name(node_id: Any) -> str:
        try:
            idx, unknown = graph.positions([int(node_id)])
        except (TypeError, ValueError):
            return str(node_id)
        return str(node_id) if unknown else graph.labels(idx)[0]
    return name


def _print(rows: list[DemoRow], result: SyncResult, json_output: bool, nodes: int, seed: int, started: float,
           url: str, state: Path) -> None:
    if json_output:
        print_json({"demo": {"nodes": nodes, "seed": seed, "server": url, "state": str(state),
                             "seconds": round(time.perf_counter() - started, 2)}, "sync": summary(result)})
        for row in rows:
            print_json(row.to_json())
        return
    table = new_table("verdicts reported to DataWorks (emulator)",
                      [("event", KEEP), ("nodes", PROSE), ("result", KEEP), ("sent as", KEEP), ("tip", PROSE)])
    table.columns[-1].ratio = 2     # the tip is the longest prose: it gets two shares of the width left
    table.show_lines = True
    for row in rows:
        style = {"OK": "green", "WARN": "yellow", "FAIL": "red"}.get(row.result or "", "")
        table.add_row(row.event, row.nodes, f"[{style}]{row.result}[/]" if row.result else "—",
                      row.check_result or "—", row.tip or ("not reported: a regular event blocks nothing"
                                                           if row.event == "node-change-updated" else ""))
    console = Console()
    console.print(table)
    console.print("details pages:")
    for row in rows:
        if row.details_url:
            console.print(f"  {row.event:<15} {row.details_url}", soft_wrap=True)
    console.print(f"recent checks: {url}/checks  (live while the demo runs; `opsguard demo --serve` keeps them up)")
    console.print(f"decisions stored in {state}: `opsguard audit --data-dir {state.parent}` lists them")


def _wait_for_interrupt() -> None:
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
