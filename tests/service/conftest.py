"""Fixtures for the service tests: a data dir holding the demo workspace's snapshot, a running emulator,
an opsguard server (in-process on a real port, or `opsguard serve` as a subprocess), signed pushes."""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest

from lineage.snapshot_writer import write_fixture_snapshot
from lineage.snapshots import SnapshotStore
from tests.conftest import TEST_KEY

EXTENSION_CODE = "opsguard-test"
UI_TOKEN = "ui-token-for-the-tests-0123456789"   # pages and APIs need it (ui_auth = "token", the default)
EXTENSION_SAMPLES = ("freeze-node", "unfreeze-node", "undeploy-node", "backfill-data")
ALL_SAMPLES = (*EXTENSION_SAMPLES, "node-change-updated")
REPO = Path(__file__).resolve().parents[2]


def sample(code: str, *, fresh: bool = False) -> dict[str, Any]:
    """A copy of a shipped sample envelope; `fresh` gives it a new message id and extensionBizId."""
    text = resources.files("evaluator").joinpath(f"demo_samples/{code}.json").read_text("utf-8")
    envelope = json.loads(text)
    if fresh:
        envelope["id"] = str(uuid.uuid4())
        if "extensionBizId" in envelope["data"]:
            envelope["data"]["extensionBizId"] = "ebz-" + uuid.uuid4().hex[:12]
    return envelope


def renamed(envelope: dict[str, Any], **data: Any) -> dict[str, Any]:
    """A deep copy with a new message id and `data` fields replaced."""
    out = copy.deepcopy(envelope)
    out["id"] = str(uuid.uuid4())
    out["data"].update(data)
    return out


@pytest.fixture
def store(tmp_path, state_url) -> Iterator[Any]:
    """A fresh state store: SQLite in the test's tmp dir, or a new PostgreSQL database (`store_engine`)."""
    from opsguard.store import open_store

    opened = open_store(data_dir=tmp_path, state_url=state_url)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def demo_workspace(workspace_factory) -> dict[str, Any]:
    """The demo workspace (3,000 nodes, seed 7): the samples' nodes with real downstream."""
    return workspace_factory(3000, seed=7, days=10)


@pytest.fixture(scope="session")
def demo_snapshot(demo_workspace, tmp_path_factory) -> Path:
    """One snapshot file of the demo workspace, copied into each test's data dir."""
    store = SnapshotStore(tmp_path_factory.mktemp("snapshot-source"))
    partial = store.new_partial()
    write_fixture_snapshot(demo_workspace, partial)
    return store.publish(partial).path


@pytest.fixture
def data_dir(tmp_path, demo_snapshot) -> Path:
    """A data dir whose live snapshot is the demo workspace."""
    root = tmp_path / "data"
    (root / "snapshots").mkdir(parents=True)
    shutil.copy(demo_snapshot, root / "snapshots" / demo_snapshot.name)
    (root / "snapshots" / "CURRENT").write_text(demo_snapshot.name + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def keypair() -> tuple[bytes, bytes]:
    """(private PEM, public PEM) of the test "EventBridge"."""
    from sandbox.pusher import generate_test_keypair

    return generate_test_keypair()


@dataclass
class Pusher:
    """Signed pushes to one server's `/events` (`scheme` v1, v2 or both; `key_url` names the public key)."""

    url: str
    private_pem: bytes
    client: httpx.Client = field(default_factory=lambda: httpx.Client(
        timeout=10.0, headers={"authorization": f"Bearer {UI_TOKEN}"}))   # an operator's API client
    key_url: str = "https://keys.invalid/pub.pem"
    scheme: str = "v1"

    def body(self, envelope: dict[str, Any]) -> bytes:
        return json.dumps(envelope, separators=(",", ":")).encode("utf-8")

    def signed_headers(self, body: bytes, *, url: str | None = None, now_ms: int | None = None,
                       content_type: str = "application/json;charset=utf-8") -> dict[str, str]:
        from sandbox.pusher import sign_push

        return {"content-type": content_type,
                **sign_push(url or self.events_url, body, self.private_pem, self.key_url, now_ms=now_ms,
                            scheme=self.scheme)}

    @property
    def events_url(self) -> str:
        return f"{self.url}/events"

    def push(self, envelope: dict[str, Any], **kwargs: Any) -> httpx.Response:
        body = self.body(envelope)
        return self.post(body, self.signed_headers(body, **kwargs))

    def post(self, body: bytes, headers: dict[str, str], path: str = "/events") -> httpx.Response:
        return self.client.post(f"{self.url}{path}", content=body, headers=headers)


@contextmanager
def tmpfs(mount: Path, size: str) -> Iterator[Path]:
    """A file system of its own at `mount` (a tmpfs of `size`, e.g. "16m"), unmounted after. Mounting needs
    root, as CI has; elsewhere the test is skipped, saying why."""
    mount.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a file system here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def wait_for(condition: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05, what: str = "") -> Any:
    """Poll until `condition()` is truthy; its value, or AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what or condition}")
        time.sleep(interval)


def reported(emulator: Any, message_ids: set[str] | list[str]) -> dict[str, list[dict[str, Any]]]:
    """The emulator's UpdateWorkbenchEventResult records per message id (only the ids asked for)."""
    out: dict[str, list[dict[str, Any]]] = {m: [] for m in message_ids}
    for record in emulator.results:
        if record["MessageId"] in out:
            out[record["MessageId"]].append(record)
    return out


def wait_reported(emulator: Any, message_ids: set[str] | list[str], timeout: float = 30.0, *,
                  server: Any = None) -> dict[str, list]:
    """Wait until every id has at least one result at the emulator; the records. With `server`, also until
    that server has recorded each delivery (the outcome is committed after DataWorks answered)."""
    records = wait_for(lambda: (r := reported(emulator, message_ids)) and all(r.values()) and r, timeout,
                       what=f"results for {sorted(message_ids)}")
    if server is not None:
        wait_for(lambda: all(_stored_state(server, m) == "reported" for m in message_ids), timeout,
                 what=f"stored outcomes for {sorted(message_ids)}")
    return records


def _stored_state(server: Any, message_id: str) -> str | None:
    answer = server.pusher.client.get(f"{server.url}/api/checks/{message_id}")
    return answer.json()["state"] if answer.status_code == 200 else None


@dataclass
class InProcessServer:
    """A started `Service` behind uvicorn on a real loopback port."""

    service: Any
    thread: Any
    pusher: Pusher

    @property
    def url(self) -> str:
        return self.thread.url

    def stop(self) -> None:
        self.thread.stop()
        self.service.stop()


@pytest.fixture
def emulator(emulator_factory, demo_workspace) -> Any:
    """The DataWorks emulator serving the demo workspace (its result API is what the server calls)."""
    return emulator_factory(demo_workspace)


def result_client(emulator: Any) -> Callable[[], Any]:
    """What builds a real-SDK client (results, GetNode) in a worker process, one HTTP attempt per call
    (as `opsguard serve` builds it)."""
    from lineage.client import DataWorksClient
    from lineage.config import DataWorksSettings

    return partial(DataWorksClient, DataWorksSettings(endpoint=emulator.url, max_attempts=1, rate_limit=1000.0,
                                                      extension_code=EXTENSION_CODE), TEST_KEY)


@pytest.fixture
def start_server(data_dir, emulator, keypair) -> Iterator[Callable[..., InProcessServer]]:
    """Start an in-process server on the data dir; keyword arguments override `ServerSettings` fields
    (`state_url=` puts its store on PostgreSQL)."""
    from opsguard.http.access import AccessPolicy
    from opsguard.http.app import ServerThread, create_app
    from opsguard.config import ScheduleSettings, ServerSettings
    from opsguard.service import Service, ServiceOptions
    from opsguard.webhook.auth import SignatureAuth

    running: list[InProcessServer] = []

    def start(*, auth: Any = None, data: Path | None = None, service: dict[str, Any] | None = None,
              sync_runner: Any = None, access: Any = None, **settings: Any) -> InProcessServer:
        """`service` overrides `ServiceOptions` fields (policy, report_policy, extension_code...)."""
        server_settings = ServerSettings(port=0, report_backoff_cap_seconds=0.5, graph_poll_seconds=0.2,
                                         lease_seconds=6.0).model_copy(update=settings)
        options = ServiceOptions(data_dir=data or data_dir, server=server_settings, extension_code=EXTENSION_CODE,
                                 schedule=ScheduleSettings(refresh_minutes=0, full_sync_at=""))
        options = replace(options, **(service or {}))
        running_service = Service(options, client_factory=result_client(emulator),
                                  auth=auth or SignatureAuth(keypair[1], max_age_seconds=server_settings.max_age_seconds),
                                  access=access or AccessPolicy(mode="token", token=UI_TOKEN),
                                  sync_runner=sync_runner)
        running_service.start()
        thread = ServerThread(create_app(running_service)).start()
        running_service.base_url = thread.url
        server = InProcessServer(running_service, thread, Pusher(thread.url, keypair[0]))
        running.append(server)
        return server

    yield start
    for server in running:
        server.stop()


# -- `opsguard serve` as a subprocess ---------------------------------------------------------------------
@dataclass
class ServeProcess:
    """`opsguard serve` running in its own process."""

    process: subprocess.Popen
    url: str
    pusher: Pusher

    def kill_hard(self) -> None:
        """SIGKILL: no shutdown code runs."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(20)


def write_config(path: Path, emulator: Any, public_key: Path, **server: Any) -> Path:
    """An opsguard.toml for a test server: the emulator as DataWorks, signature auth (the pinned `public_key`
    unless `server` sets `public_key_file`), no scheduled syncs."""
    pinned = [] if "public_key_file" in server else [f'public_key_file = "{public_key.name}"']
    lines = ["[dataworks]", f'endpoint = "{emulator.url}"', f'extension_code = "{EXTENSION_CODE}"', "",
             "[server]", 'auth = "signature"', *pinned,
             "report_backoff_cap_seconds = 0.5", "graph_poll_seconds = 0.5"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in server.items()]
    lines += ["", "[schedule]", "refresh_minutes = 0", 'full_sync_at = ""', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def serve_process(tmp_path, data_dir, emulator, keypair, state_url) -> Iterator[Callable[..., ServeProcess]]:
    """Start `opsguard serve --port 0 --json` on the data dir (again after a kill: same config, same state),
    its store on the engine `store_engine` names."""
    public = tmp_path / "eventbridge-public.pem"
    public.write_bytes(keypair[1])
    base = {"lease_seconds": 6.0, **({"state_url": state_url} if state_url else {})}
    config = write_config(tmp_path / "opsguard.toml", emulator, public, **base)
    started: list[ServeProcess] = []
    env = {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_ID": TEST_KEY.id,
           "ALIBABA_CLOUD_ACCESS_KEY_SECRET": TEST_KEY.secret, "PYTHONPATH": str(REPO), "OPSGUARD_UI_TOKEN": UI_TOKEN}
    env.pop("OPSGUARD_HOME", None)

    def start(**server: Any) -> ServeProcess:
        """`server`: `[server]` settings for this start (the config is rewritten with them)."""
        if server:
            write_config(config, emulator, public, **{**base, **server})
        log = open(tmp_path / f"serve-{len(started)}.log", "wb")  # noqa: SIM115 — closed with the process
        process = subprocess.Popen([sys.executable, "-m", "opsguard", "serve", "--port", "0", "--json",
                                    "--config", str(config), "--data-dir", str(data_dir)],
                                   stdout=subprocess.PIPE, stderr=log, env=env, cwd=tmp_path)
        line = process.stdout.readline().decode()
        if not line:
            process.wait(10)
            raise AssertionError(f"opsguard serve exited: {(tmp_path / f'serve-{len(started)}.log').read_text()}")
        url = json.loads(line)["url"]
        wait_for(lambda: _ready(url), 20, what="readyz")
        server = ServeProcess(process, url, Pusher(url, keypair[0]))
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait(10)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:  # noqa: S310 — loopback test server
            return response.status == 200
    except OSError:
        return False
