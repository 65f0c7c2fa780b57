"""Per-source request rate: one client address cannot take the server's time from everyone else.

A token bucket per source address (`[server] rate_per_source` requests a second, bursts of twice that);
past it the request is answered 429 with `Retry-After` before any work is done. `/healthz` and `/readyz`
are not counted (load balancers poll them). The number of requests handled at once is uvicorn's own
`limit_concurrency` (`[server] max_concurrent_requests`: past it, 503). EventBridge pushes from a few
addresses at the account's event rate: keep `rate_per_source` well above it (0 turns the limit off).

>>> now = [0.0]
>>> buckets = SourceBuckets(rate=2.0, clock=lambda: now[0])
>>> [buckets.take("10.0.0.1") for _ in range(5)], buckets.take("10.0.0.2")   # a burst of 4, then wait
([0.0, 0.0, 0.0, 0.0, 0.5], 0.0)
>>> now[0] = 0.5
>>> buckets.take("10.0.0.1")
0.0
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["SourceBuckets", "SourceLimit"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
UNCOUNTED = frozenset({"/healthz", "/readyz"})
MAX_SOURCES = 100_000   # buckets kept (least recently seen forgotten first)


class SourceBuckets:
    """Token buckets by source: `take(source)` is 0.0 when the request may go, else seconds to wait."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self._clock = rate, 2 * rate, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()   # source -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, source: str) -> float:
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(source, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[source] = (tokens - 1 if wait == 0 else tokens, now)
            if len(self._buckets) > MAX_SOURCES:
                self._buckets.popitem(last=False)
        return wait


class SourceLimit:
    """ASGI middleware applying `SourceBuckets` in front of `app`."""

    def __init__(self, app: ASGIApp, rate_per_source: float):
        self.app = app
        self.buckets = SourceBuckets(rate_per_source) if rate_per_source > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.buckets is None or scope["type"] != "http" or scope["path"] in UNCOUNTED:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.buckets.take(client[0] if client else "?")
        if wait == 0.0:
            await self.app(scope, receive, send)
            return
        body = b'{"error":"too-many-requests","detail":"this address sends faster than [server] rate_per_source"}'
        await send({"type": "http.response.start", "status": 429,
                    "headers": [(b"content-type", b"application/json"), (b"retry-after", str(max(1, round(wait))).encode()),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
