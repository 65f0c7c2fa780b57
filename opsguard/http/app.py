"""The HTTP face of the service (FastAPI on uvicorn).

Routes: `POST /events` (EventBridge pushes), `GET /` (to the checks list), `GET /checks` (filtered, paged:
`opsguard.pages.checks_list`) and `GET /checks/{message_id}` (HTML),
`GET /api/checks` and `GET /api/checks/{message_id}` (the same as JSON), `GET /checks/{id}/path/{node_id}`
and `GET /api/checks/{id}/path/{node_id}` (why a node is impacted), `GET /checks/{id}/nodes.csv` (every node of its node table), `GET /docs` and `GET /docs/{name}`
(the "View Documentation" page), `GET /api/audit` (past decisions, as `opsguard audit` reads them from the
store), `GET /healthz`, `GET /readyz`, `GET /metrics` (Prometheus text). No route answers 500: an unexpected failure on `/events` is a 503
(nothing was stored; EventBridge retries), elsewhere a 503 with the reason.
"""

from __future__ import annotations

import hmac
import json
import logging
import signal
import socket
import threading
import time
from typing import Annotated, Any
from urllib.parse import parse_qs

import uvicorn
from fastapi import FastAPI, Request
from fastapi import Path as FastApiPath
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from lineage.errors import ConfigError
from opsguard import audit
from opsguard.http import access
from opsguard.pages import checks_list, details as details_page, docs as docs_page, path as path_page
from opsguard.http.events_endpoint import ASGIApp, EventsEndpoint
from opsguard.http.limits import SourceLimit
from opsguard.metrics import CONTENT_TYPE
from opsguard.service import Service

__all__ = ["create_app", "ServerThread", "listen_socket", "serve_forever"]

MessageId = Annotated[str, FastApiPath(min_length=1, max_length=256)]
NodeId = Annotated[int, FastApiPath(ge=0, lt=2**63)]

log = logging.getLogger(__name__)


def create_app(service: Service) -> SourceLimit:
    """The ASGI application of a started `Service`: `POST /events` (see `opsguard.http.events_endpoint`) in
    front of the FastAPI app that serves every other route."""
    app = FastAPI(title="opsguard", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/", response_class=RedirectResponse)
    def home() -> Response:
        return RedirectResponse("/checks", 303)

    @app.get("/checks", response_class=HTMLResponse)
    def checks(request: Request) -> Response:
        try:
            page = checks_list.read_page(service, _checks_filter(request))
        except checks_list.CheckFilterError as exc:
            typed = {k: request.query_params.get(k, "")[:checks_list.MAX_TEXT] for k in checks_list.FILTER_PARAMS}
            return HTMLResponse(details_page.render_checks(service, None, error=str(exc), typed=typed), 400)
        return HTMLResponse(details_page.render_checks(service, page))

    @app.get("/checks/{message_id}", response_class=HTMLResponse)
    def check(request: Request, message_id: MessageId) -> Response:
        page = details_page.render_check(service, message_id, link=request.scope.get("opsguard.link"))
        if page is None:
            return HTMLResponse(details_page.render_not_found(service, message_id), 404)
        return HTMLResponse(page)

    @app.get("/api/checks")
    def api_checks(request: Request) -> Response:
        try:
            page = checks_list.read_page(service, _checks_filter(request))
        except checks_list.CheckFilterError as exc:
            return JSONResponse({"error": "bad-filter", "detail": str(exc)}, 400)
        links = {"Link": f'</api/checks{page.next_link}>; rel="next"'} if page.next_link else None
        return JSONResponse(details_page.checks_json(page), headers=links)

    @app.get("/checks/{message_id}/nodes.csv")
    def check_nodes_csv(message_id: MessageId) -> Response:
        text = details_page.check_nodes_csv(service, message_id)
        if text is None:
            return JSONResponse({"error": "not-found", "message_id": message_id}, 404)
        name = "".join(c if c.isalnum() or c in "-_" else "_" for c in message_id)[:80]
        return Response(text, media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="opsguard-{name}-nodes.csv"'})

    @app.get("/api/checks/{message_id}")
    def api_check(message_id: MessageId) -> Response:
        doc = details_page.check_json(service, message_id)
        if doc is None:
            return JSONResponse({"error": "not-found", "message_id": message_id}, 404)
        return JSONResponse(doc)

    @app.get("/checks/{message_id}/path/{node_id}", response_class=HTMLResponse)
    def check_path(request: Request, message_id: MessageId, node_id: NodeId) -> Response:
        status, page = path_page.render_path(service, message_id, node_id, link=request.scope.get("opsguard.link"))
        return HTMLResponse(page, status)

    @app.get("/api/checks/{message_id}/path/{node_id}")
    def api_check_path(message_id: MessageId, node_id: NodeId) -> Response:
        status, doc = path_page.path_json(service, message_id, node_id)
        return JSONResponse(doc, status)

    @app.get("/docs", response_class=HTMLResponse)
    def docs(project: int | None = None) -> Response:
        status, page = docs_page.docs_page(service, project=project)
        return HTMLResponse(page, status)

    @app.get("/docs/{name}", response_class=HTMLResponse)
    def doc(name: str, project: int | None = None) -> Response:
        status, page = docs_page.docs_page(service, project=project, name=name)
        return HTMLResponse(page, status)

    @app.get("/api/audit")
    def api_audit(request: Request) -> Response:
        try:
            filters = audit.AuditFilter.build(**{k: request.query_params.get(k) for k in audit.FILTER_NAMES})
        except audit.AuditError as exc:
            return JSONResponse({"error": "bad-filter", "detail": str(exc)}, 400)
        rows = audit.read_decisions(service.store, filters)
        return JSONResponse(json.loads(json.dumps({"filters": filters.to_json(), "count": len(rows),
                                                   "decisions": rows}, default=str)))

    @app.get("/healthz")
    def healthz() -> Response:
        return JSONResponse({"status": "ok", "uptime_seconds": round(time.time() - service.started_at, 1)})

    @app.get("/readyz")
    def readyz() -> Response:
        ready, body = service.readiness()
        return JSONResponse(body, 200 if ready else 503)

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(service.metrics.render(), media_type=CONTENT_TYPE)

    @app.get("/login", response_class=HTMLResponse)
    def login_form(next: str = "/checks") -> Response:  # noqa: A002 — the query parameter's name
        if service.access.mode != "token":
            return HTMLResponse("<p>Signing in is done by your SSO proxy here.</p>" if service.access.mode == "header"
                                else "<p>No sign-in needed on this server.</p>")
        return HTMLResponse(access.login_page(next_path=next))

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body())[:4096].decode("utf-8", "replace")).items()}
        target = access.safe_next(form.get("next"))
        if service.access.mode != "token" or service.signer is None:
            return RedirectResponse(target, 303)
        given = form.get("token", "")
        if not hmac.compare_digest(given.encode(), service.access.token.encode()):
            log.warning("a sign-in with a wrong token from %s", request.client.host if request.client else "?")
            return HTMLResponse(access.login_page(next_path=target, message="That token is not right."), 401)
        answer = RedirectResponse(target, 303)
        answer.set_cookie(access.SESSION_COOKIE, service.signer.session("token"), max_age=access.SESSION_SECONDS,
                          httponly=True, samesite="lax", secure=service.access.secure_cookies)
        return answer

    @app.post("/logout")
    def logout() -> Response:
        answer = RedirectResponse("/login", 303)
        answer.delete_cookie(access.SESSION_COOKIE)
        return answer

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:  # noqa: ARG001
        """A parameter no request can make valid: a final 400 naming it (never a 5xx a client would retry)."""
        problems = [f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg', 'invalid')}"
                    for e in exc.errors()]
        return JSONResponse({"error": "bad-request", "detail": "; ".join(problems)[:500]}, 400)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:  # noqa: ARG001
        log.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse({"error": "unavailable", "detail": f"{type(exc).__name__}: {exc}"}, 503)

    def _checks_filter(request: Request) -> checks_list.ChecksFilter:
        live = service.live()
        return checks_list.ChecksFilter.parse(request.query_params, graph=live.graph if live is not None else None)

    settings = service.options.server
    # The signed URL's base: [server] public_url; without one (loopback only), the address once bound.
    assert service.signer is not None, "create_app needs a started Service"
    gated = access.AccessGate(app, service.access, service.signer)
    events = EventsEndpoint(gated, lambda: service.intake, max_body_bytes=settings.max_body_bytes,
                            public_url=lambda: settings.public_url or service.base_url)
    return SourceLimit(events, settings.rate_per_source)


class ServerThread:
    """uvicorn serving `app` in a background thread (demo, tests); `url` once started."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0, *, log_level: str = "warning",
                 limit_concurrency: int | None = None):
        config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False,
                                lifespan="off", timeout_keep_alive=30, backlog=1024,
                                limit_concurrency=limit_concurrency)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="uvicorn", daemon=True)
        self.host = host

    def start(self, timeout: float = 20.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the HTTP server did not start")
            time.sleep(0.01)
        return self

    @property
    def port(self) -> int:
        return bound_port(self._server)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)


def bound_port(server: uvicorn.Server) -> int:
    """The port a started uvicorn server listens on (port 0 picks a free one)."""
    return int(server.servers[0].sockets[0].getsockname()[1])


def listen_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, made before anything else starts, so a busy port or a wrong address is one
    `ConfigError` line (exit 2) instead of a server that started its workers and then dies."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc} (another server on that port? "
                          f"choose one with --port or server.port)") from None
    return sock


def serve_forever(app: ASGIApp, host: str, port: int, *, on_started: Any = None, log_level: str = "info",
                  limit_concurrency: int | None = None, sock: socket.socket | None = None) -> None:
    """Serve in the calling thread until SIGINT/SIGTERM; `on_started(port)` once listening; past
    `limit_concurrency` requests at once uvicorn answers 503. `sock`: an already bound `listen_socket`."""
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False, lifespan="off",
                            timeout_keep_alive=30, backlog=1024, limit_concurrency=limit_concurrency)
    server = uvicorn.Server(config)
    if on_started is not None:
        def watch() -> None:
            while not server.started and not server.should_exit:
                time.sleep(0.02)
            if server.started:
                on_started(bound_port(server))

        threading.Thread(target=watch, name="startup-watch", daemon=True).start()
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal with the handlers that
    # were there before: make those a clean exit so the caller's clean-up runs and the exit code is 0.
    previous = {sig: signal.signal(sig, _exit_cleanly) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[sock] if sock is not None else None)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _exit_cleanly(signum: int, frame: Any) -> None:  # noqa: ARG001
    raise SystemExit(0)
