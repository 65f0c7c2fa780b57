"""Loopback DataWorks OpenAPI (2020-05-18) emulator that the real SDK talks to over HTTP.

In tests::

    with Emulator(fixture, access_key_id="test-ak", access_key_secret="test-secret") as emu:
        config = Config(access_key_id="test-ak", access_key_secret="test-secret",
                        endpoint=emu.endpoint, protocol="HTTP")

Every ``POST /`` must carry a valid ACS3-HMAC-SHA256 signature (``acs_signature``); then
faults apply (``faults``: latency, 429 ``Throttling.User``, 500 ``InternalError.System``),
then the action runs (``actions``). The documented page limits are enforced by default
(``page_limits``: ``True``, ``False``, or ``{action: max PageNumber}``, see ``actions.PAGE_LIMITS``);
``forbidden_projects`` are listed by ListProjects but answer 403 ``Forbidden.Access`` to every read,
as a tenant's workspaces the credentials are no member of (``allowed_projects`` hides the others);
``forbidden_actions`` answer 403 ``Forbidden.Access`` to every call (a RAM policy that lacks them). Control endpoints, unsigned: ``GET /_emulator/results``
(UpdateWorkbenchEventResult calls in arrival order), ``GET /_emulator/stats``,
``GET|POST /_emulator/faults``, ``GET /_emulator/health``. The sandbox EventBridge's public keys are
published at ``GET /_emulator/eventbridge/<file>.pem`` (``Emulator.eventbridge``, see
``sandbox.eventbridge_keys``): the URL a push names in ``x-eventbridge-signature-url``.

Every API answer carries a ``Date`` header (RFC 7231) read from the emulator's ``clock``, as Alibaba Cloud's
gateway sends one: a clock set apart from the caller's is how a test shows a machine whose clock is off.
Registered extensions (``extensions=``, ``register_extension``; ``sandbox.extensions``) answer
``GetExtension``; without any, every extension code is accepted.

CLI: ``python -m sandbox.emulator --workspace FILE --port 0 --access-key-id ID
--access-key-secret S [--qps N] [--error-rate F] [--latency-ms N] [--host H]
[--eventbridge-key-out FILE]`` prints ``listening on http://HOST:PORT`` (and, with
``--eventbridge-key-out``, writes the signing key there and prints ``eventbridge key URL``) and serves
until SIGTERM/SIGINT.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from collections import Counter
from email.utils import formatdate
from pathlib import Path
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import parse_qsl

from sandbox.acs_signature import SignatureVerifier
from sandbox.actions import ACTIONS, PAGE_LIMIT_CODE, PAGE_LIMITS, ApiRequest, dispatch
from sandbox.api_error import ApiError
from sandbox.cli_args import OneLineArgumentParser, fail
from sandbox.eventbridge_keys import EventBridgeKeys
from sandbox.faults import FaultConfigError, FaultInjector, Faults, faults_from
from sandbox.fixture import WorkspaceFixtureError, load_workspace
from sandbox.http_server import EmulatorHTTPServer, Reply
from sandbox.served_workspace import ServedWorkspace

__all__ = ["API_VERSION", "Emulator", "main"]

API_VERSION = "2020-05-18"


class Emulator:
    """Serves a fixture dict on a loopback port; a context manager that starts and stops it.

    >>> from sandbox.workspace import generate_workspace
    >>> with Emulator(generate_workspace(60, days=0)) as emu:
    ...     emu.url.startswith("http://127.0.0.1:"), emu.stats()["requests"]
    (True, 0)
    """

    def __init__(self, fixture: dict, *, access_key_id: str = "test-ak", access_key_secret: str = "test-secret",
                 host: str = "127.0.0.1", port: int = 0, qps: float | None = None, error_rate: float = 0.0,
                 latency_ms: float = 0.0, fault_actions: Iterable[str] | None = None, seed: int = 0,
                 allowed_projects: Iterable[int] | None = None, credentials: Mapping[str, str] | None = None,
                 clock: Callable[[], float] = time.time, page_limits: bool | Mapping[str, int] = True,
                 forbidden_projects: Iterable[int] = (), retry_after_ms: int | None = None,
                 extensions: Mapping[str, Mapping] | None = None, forbidden_actions: Iterable[str] = ()):
        self._workspace = ServedWorkspace(fixture if extensions is None else {**fixture, "extensions": extensions})
        self._clock = clock
        self._verifier = SignatureVerifier({access_key_id: access_key_secret, **(credentials or {})}, clock)
        self._faults = FaultInjector(faults_from(qps, error_rate, latency_ms, fault_actions, retry_after_ms), seed)
        self._allowed = None if allowed_projects is None else frozenset(allowed_projects)
        self._forbidden = frozenset(forbidden_projects)
        #: actions the key may not call at all (a RAM policy without them): 403 Forbidden.Access for any request
        self._forbidden_actions = frozenset(forbidden_actions)
        self.page_limits: dict[str, int] = (dict(PAGE_LIMITS) if page_limits is True
                                            else {} if page_limits is False else dict(page_limits))
        self._results: list[dict] = []
        self._lock = threading.Lock()  # workspace reads and mutations
        self._stats_lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._per_action: Counter[str] = Counter()
        self._address = (host, port)
        self._server: EmulatorHTTPServer | None = None
        self._eventbridge: EventBridgeKeys | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Emulator:
        if self._server is None:
            self._server = EmulatorHTTPServer(self._address, self.handle)
            self._server.start()
            if self._eventbridge is None:
                self._eventbridge = EventBridgeKeys(f"{self.url}/_emulator/eventbridge")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return self._server.server_address[1]

    @property
    def endpoint(self) -> str:
        """``host:port`` for the SDK's ``Config(endpoint=..., protocol="HTTP")``."""
        return f"{self._address[0]}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    # --- inspection and control ----------------------------------------------------------------

    @property
    def eventbridge(self) -> EventBridgeKeys:
        """The sandbox EventBridge's signing keys, published by this emulator (once started)."""
        if self._eventbridge is None:
            raise RuntimeError("the emulator is not running")
        return self._eventbridge

    @property
    def results(self) -> list[dict]:
        """UpdateWorkbenchEventResult calls received, in arrival order (a copy)."""
        return list(self._results)

    def stats(self) -> dict:
        """Request counts: ``requests``, ``served``, ``by_action`` (served per action), ``throttled``,
        ``errors`` (injected 500s), ``rejected`` (signature failures), ``client_errors``,
        ``page_limit`` (pages refused past a page limit), ``forbidden`` (403 replies)."""
        with self._stats_lock:
            return {"requests": self._counts["requests"], "served": sum(self._per_action.values()),
                    "by_action": dict(self._per_action), "throttled": self._counts["throttled"],
                    "errors": self._counts["errors"], "rejected": self._counts["rejected"],
                    "client_errors": self._counts["client_errors"], "page_limit": self._counts["page_limit"],
                    "forbidden": self._counts["forbidden"]}

    @property
    def faults(self) -> Faults:
        return self._faults.faults

    def set_faults(self, qps: float | None = None, error_rate: float = 0.0, latency_ms: float = 0.0,
                   actions: Iterable[str] | None = None, retry_after_ms: int | None = None) -> None:
        """Replace all fault settings (omitted ones reset to no fault)."""
        self._faults.set(faults_from(qps, error_rate, latency_ms, actions, retry_after_ms))

    def update_node(self, node: dict) -> None:
        """Add a node, or change fields of an existing one (``NodeId`` names it)."""
        with self._lock:
            self._workspace.update_node(node)

    def register_extension(self, code: str, **fields: object) -> dict:
        """Register (or replace) an extension (``sandbox.extensions.ExtensionRegistry.register`` keywords:
        ``detail_url``, ``help_doc_url``, ``status``, ``events``...). From then on only registered codes are known."""
        with self._lock:
            return self._workspace.extensions.register(code, **fields)  # type: ignore[arg-type]

    def remove_node(self, node_id: int) -> None:
        """Remove a node and its edges (as an undeploy does)."""
        with self._lock:
            self._workspace.remove_node(node_id)

    def add_edge(self, parent_id: int, child_id: int) -> None:
        with self._lock:
            self._workspace.add_edge(parent_id, child_id)

    def remove_edge(self, parent_id: int, child_id: int) -> None:
        with self._lock:
            self._workspace.remove_edge(parent_id, child_id)

    # --- request handling ----------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, list[str]], body: bytes) -> Reply:
        """Answer one HTTP request (``headers``: lower-cased name -> values)."""
        path, _, query_string = target.partition("?")
        if path.startswith("/_emulator/"):
            return self._control(method, path, body)
        self._count("requests")
        request_id = str(uuid.uuid4()).upper()
        common = {"x-acs-request-id": request_id, "Date": formatdate(self._clock(), usegmt=True)}
        try:
            return Reply(200, _json(self._api(method, path, query_string, headers, body, request_id)), common)
        except ApiError as e:
            if e.code == PAGE_LIMIT_CODE:
                self._count("page_limit")
            elif e.status == 403:
                self._count("forbidden")
            return Reply(e.status, _json(e.body(request_id)), {**common, **e.headers})

    def _api(self, method: str, path: str, query_string: str, headers: Mapping[str, list[str]], body: bytes,
             request_id: str) -> dict:
        if method != "POST" or path != "/":
            self._count("client_errors")
            raise ApiError(404, "InvalidAction.NotFound", f"{method} {path} is not an OpenAPI endpoint; use POST /.")
        query = dict(parse_qsl(query_string, keep_blank_values=True))
        params = dict(query)
        if (headers.get("content-type") or [""])[0].startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        action = (headers.get("x-acs-action") or [params.get("Action", "")])[0]
        decision = self._faults.decide(action)
        if decision.latency_s:
            time.sleep(decision.latency_s)
        try:
            self._verifier.verify(method, path, query, headers, body)
        except ApiError:
            self._count("rejected")
            raise
        if decision.throttled:
            self._count("throttled")
            retry = self._faults.faults.retry_after_ms
            raise ApiError(429, "Throttling.User", "Request was denied due to user flow control.",
                           {"x-acs-retry-after": str(retry)} if retry else None)
        if decision.fail:
            self._count("errors")
            raise ApiError(500, "InternalError.System", "An internal error occurred (injected by the emulator).")
        version = (headers.get("x-acs-version") or [""])[0]
        if version != API_VERSION or action not in ACTIONS:
            self._count("client_errors")
            if version != API_VERSION:
                raise ApiError(400, "InvalidVersion", f"Specified version {version!r} is invalid; use {API_VERSION}.")
        if action in self._forbidden_actions:
            self._served(action)
            raise ApiError(403, "Forbidden.Access", f"You are not authorized to perform {action}.")
        try:
            with self._lock:
                request = ApiRequest(action, params, request_id, self._allowed, self.page_limits.get(action),
                                     self._forbidden)
                return dispatch(self._workspace, request, self._results)
        finally:
            if action in ACTIONS:
                self._served(action)  # answered by the action, successfully or with its own 4xx

    def _control(self, method: str, path: str, body: bytes) -> Reply:
        if path.startswith("/_emulator/eventbridge/") and method == "GET" and self._eventbridge is not None:
            pem = self._eventbridge.published(path.rsplit("/", 1)[1])
            if pem is None:
                return Reply(404, _json({"Code": "NoSuchKey", "Message": f"no key file {path}"}))
            return Reply(200, pem, {"Content-Type": "application/x-pem-file"})
        if path == "/_emulator/results" and method == "GET":
            return Reply(200, _json(self.results))
        if path == "/_emulator/stats" and method == "GET":
            return Reply(200, _json(self.stats()))
        if path == "/_emulator/health" and method == "GET":
            return Reply(200, _json({"ok": True}))
        if path == "/_emulator/faults" and method == "GET":
            return Reply(200, _json(self.faults.to_json()))
        if path == "/_emulator/faults" and method == "POST":
            try:
                self._faults.set(Faults.from_json(json.loads(body or b"{}")))
            except (ValueError, TypeError) as e:  # JSONDecodeError and FaultConfigError are ValueErrors
                return Reply(400, _json({"Code": "InvalidParameter", "Message": str(e)}))
            return Reply(200, _json(self.faults.to_json()))
        return Reply(404, _json({"Code": "NotFound", "Message": f"no control endpoint {method} {path}"}))

    def _count(self, what: str) -> None:
        with self._stats_lock:
            self._counts[what] += 1

    def _served(self, action: str) -> None:
        with self._stats_lock:
            self._per_action[action] += 1


def _json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; see the module docstring."""
    prog = "python -m sandbox.emulator"
    parser = OneLineArgumentParser(prog=prog, description="Serve a workspace fixture as the DataWorks OpenAPI.")
    parser.add_argument("--workspace", required=True, help="fixture JSON (python -m sandbox.workspace)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--access-key-id", default=os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID"))
    parser.add_argument("--access-key-secret", default=os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET"))
    parser.add_argument("--qps", type=float, help="token-bucket rate limit (burst = qps/10)")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered 500")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to each request")
    parser.add_argument("--fault-action", action="append", help="limit faults to this action (repeatable)")
    parser.add_argument("--allowed-project", type=int, action="append", help="answer 403 for other projects")
    parser.add_argument("--forbidden-project", type=int, action="append", default=[],
                        help="list this project but answer 403 to every read of it (repeatable)")
    parser.add_argument("--forbidden-action", action="append", default=[],
                        help="answer 403 to every call of this action, e.g. ListProjectMembers (repeatable)")
    parser.add_argument("--no-page-limits", action="store_true",
                        help="serve pages past the documented PageNumber limits (100; ListBaselines 30)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the error-rate RNG")
    parser.add_argument("--eventbridge-key-out", metavar="FILE",
                        help="write the sandbox EventBridge's private key PEM here (for python -m sandbox.pusher)")
    args = parser.parse_args(argv)
    if not args.access_key_id or not args.access_key_secret:
        fail(prog, "--access-key-id and --access-key-secret are required (or ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET)")
    if not 0 <= args.port <= 65535:
        fail(prog, f"--port must be between 0 and 65535, got {args.port}")
    try:
        fixture = load_workspace(args.workspace)
        emulator = Emulator(fixture, access_key_id=args.access_key_id, access_key_secret=args.access_key_secret,
                            host=args.host, port=args.port, qps=args.qps, error_rate=args.error_rate,
                            latency_ms=args.latency_ms, fault_actions=args.fault_action, seed=args.seed,
                            allowed_projects=args.allowed_project, forbidden_projects=args.forbidden_project,
                            page_limits=not args.no_page_limits, forbidden_actions=args.forbidden_action)
        emulator.start()
    except (WorkspaceFixtureError, FaultConfigError) as e:
        fail(prog, str(e))
    except OSError as e:
        fail(prog, f"cannot listen on {args.host}:{args.port}: {e.strerror or e}")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print(f"listening on {emulator.url}", flush=True)
    if args.eventbridge_key_out:
        key = emulator.eventbridge.current
        try:
            Path(args.eventbridge_key_out).write_bytes(key.private_pem)
        except OSError as e:
            emulator.stop()
            fail(prog, f"--eventbridge-key-out {args.eventbridge_key_out}: {e.strerror or e}")
        print(f"eventbridge key URL {key.url}", flush=True)
    stop.wait()
    emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
