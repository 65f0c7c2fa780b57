"""`POST /events` as a bare ASGI endpoint in front of the FastAPI app.

Every EventBridge push comes through here, hundreds a second, and each one holds an operator's
click in DataWorks until it is answered; the framework's routing, middleware and thread hop cost
more than the checks themselves. So this endpoint reads the body (stopping past the limit),
lets the intake check and store it in the event loop (only the commit is awaited), and writes the
JSON answer. Every other request goes on to the FastAPI app unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from opsguard.intake import Intake, Push, Reply

__all__ = ["EventsEndpoint"]

log = logging.getLogger(__name__)
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class EventsEndpoint:
    """ASGI app: `POST /events` handled here, anything else passed to `app`."""

    def __init__(self, app: ASGIApp, intake: Callable[[], Intake], *, max_body_bytes: int,
                 public_url: str | Callable[[], str] = ""):
        """`intake()` gives the started service's intake; `public_url` (or a callable giving it, for a server
        whose port is known only once it listens) is the base URL EventBridge signs. The URL checked is
        always that base + the path and query received, never one built from the request's Host header
        (which the sender chooses): empty, the URL is relative and signed pushes are refused."""
        self.app = app
        self._intake = intake
        self._limit = max_body_bytes
        self._public_url = public_url if callable(public_url) else (lambda: public_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/events":
            await self.app(scope, receive, send)
            return
        if scope["method"] != "POST":
            await _send_json(send, Reply(405, {"error": "method-not-allowed", "detail": "POST events here"}),
                             [(b"allow", b"POST")])
            return
        intake = self._intake()
        push, too_large = await self._read(scope, receive)
        try:
            reply = intake.too_large(push) if too_large else await intake.receive(push)
        except Exception as exc:  # noqa: BLE001 — never a 500: nothing was stored, the sender retries
            log.exception("POST /events failed")
            reply = Reply(503, {"error": "unavailable", "detail": f"{type(exc).__name__}: {exc}"})
        await _send_json(send, reply)

    async def _read(self, scope: Scope, receive: Receive) -> tuple[Push, bool]:
        """The push as received, and whether its body is over the limit (then it is not read on)."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")
        url = f"{self._public_url().rstrip('/')}{scope['path']}" + (f"?{query}" if query else "")
        client = scope.get("client")
        remote = client[0] if client else None
        declared = headers.get("content-length")
        size = int(declared) if declared and declared.isdigit() else None
        if size is not None and size > self._limit:
            return Push(b"", headers, url, remote, size), True
        chunks: list[bytes] = []
        total = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self._limit:
                return Push(b"".join(chunks)[:512], headers, url, remote, total), True
            chunks.append(chunk)
            more = message.get("more_body", False)
        return Push(b"".join(chunks), headers, url, remote, size), False


async def _send_json(send: Send, reply: Reply, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = orjson.dumps(reply.body, default=str)   # (json.dumps with `default` leaves a reference cycle per call)
    await send({"type": "http.response.start", "status": reply.status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode("ascii")), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
