"""Who may read the pages and APIs: a token (or the session a login with it opens), a trusted header set by
an SSO proxy, or — on loopback only — nobody checked. `/healthz` and `/readyz` are always open, `/metrics`
when configured so, and `POST /events` has its own authentication (`opsguard.webhook`).

A check's "View Details" link must open for the operator who clicks it in DataWorks, who has no opsguard
login. So `LinkSigner` makes per-check links that carry their own proof: an expiry and an HMAC over the
message id and that expiry (`?exp=…&sig=…`). Such a link opens that check's page, its "why?" paths, its
JSON, its nodes as CSV, and the documentation pages linked from it (`/docs?check=<id>&exp=…&sig=…`) — nothing else — until
it expires. The key is shared by every replica (kept in the store, see `opsguard.service`), so a link made
by one opens on any.

>>> signer = LinkSigner(b"k" * 32, ttl_seconds=3600)
>>> query = signer.query("m-1", now=1_000)
>>> signer.valid("m-1", query["exp"], query["sig"], now=2_000), signer.valid("m-1", query["exp"], query["sig"],
...                                                                           now=5_000)
(True, False)
>>> signer.valid("m-2", query["exp"], query["sig"], now=2_000)
False
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode

import orjson

__all__ = ["LinkSigner", "AccessPolicy", "AccessGate", "OPEN_PATHS", "SESSION_COOKIE", "UI_AUTH_MODES",
           "login_page", "safe_next"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UI_AUTH_MODES = ("token", "header", "none")
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/login", "/events"})   # /events: signature-checked by the intake
SESSION_COOKIE = "opsguard_session"
SESSION_SECONDS = 12 * 3600
_CHECK_PATH = re.compile(r"^/(?:api/)?checks/([^/]+)(?:/path/[^/]+|/nodes\.csv)?$")


class LinkSigner:
    """HMAC-signed, expiring per-check links (and login sessions, signed with the same key)."""

    def __init__(self, key: bytes, *, ttl_seconds: float = 72 * 3600):
        if len(key) < 16:
            raise ValueError("the link key must be at least 16 bytes")
        self._key, self.ttl_seconds = key, ttl_seconds

    def _mac(self, *parts: str) -> str:
        return hmac.new(self._key, "\n".join(parts).encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def query(self, message_id: str, *, now: float | None = None) -> dict[str, str]:
        """`exp` and `sig` for a link to `message_id`'s pages."""
        expires = str(int((now if now is not None else time.time()) + self.ttl_seconds))
        return {"exp": expires, "sig": self._mac("check", message_id, expires)}

    def link(self, base: str, message_id: str) -> str:
        """The signed details-page URL of a check."""
        return f"{base}/checks/{quote(message_id, safe='')}?{urlencode(self.query(message_id))}"

    def valid(self, message_id: str, expires: str, signature: str, *, now: float | None = None) -> bool:
        if not expires.isdigit() or len(expires) > 12:
            return False
        if int(expires) < (now if now is not None else time.time()):
            return False
        return hmac.compare_digest(self._mac("check", message_id, expires), signature)

    def session(self, user: str, *, now: float | None = None) -> str:
        """A login session's cookie value: who, until when, signed."""
        expires = str(int((now if now is not None else time.time()) + SESSION_SECONDS))
        return f"{quote(user, safe='')}.{expires}.{self._mac('session', user, expires)}"

    def session_user(self, value: str, *, now: float | None = None) -> str | None:
        """The user of a valid, unexpired session cookie, else None."""
        parts = value.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        user, expires, signature = unquote(parts[0]), parts[1], parts[2]
        if int(expires) < (now if now is not None else time.time()):
            return None
        return user if hmac.compare_digest(self._mac("session", user, expires), signature) else None


@dataclass(frozen=True)
class AccessPolicy:
    """`[server]`'s page-access settings, resolved (the token read from its variable)."""

    mode: str = "token"                      # token | header | none
    token: str = ""                          # mode "token": the shared secret (bearer, or typed at /login)
    header: str = "x-forwarded-user"         # mode "header": set by the SSO proxy
    trusted_proxies: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    metrics_open: bool = False               # /metrics without credentials (a scraper inside the network)
    secure_cookies: bool = False             # public URL is https: cookies only over https

    def __post_init__(self) -> None:
        if self.mode not in UI_AUTH_MODES:
            raise ValueError(f"ui_auth must be one of {', '.join(UI_AUTH_MODES)}, not {self.mode!r}")
        if self.mode == "token" and len(self.token) < 16:
            raise ValueError("ui_auth = \"token\" needs a token of at least 16 characters")


class AccessGate:
    """ASGI middleware: lets a request through to `app` or answers 401/403 (JSON for /api, a login page
    redirect for pages). Sets `scope["opsguard.user"]` (who) and `scope["opsguard.link"]` (the signed link's
    query, to carry on in the page's own links)."""

    def __init__(self, app: ASGIApp, policy: AccessPolicy, signer: LinkSigner):
        self.app, self.policy, self.signer = app, policy, signer
        self._proxies = [ipaddress.ip_network(n, strict=False) for n in policy.trusted_proxies]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path in OPEN_PATHS or (path == "/metrics" and self.policy.metrics_open):
            await self.app(scope, receive, send)
            return
        verdict = self.decide(scope)
        if isinstance(verdict, tuple):
            await _refuse(send, path, *verdict)
            return
        await self.app(scope, receive, send)

    def decide(self, scope: Scope) -> str | tuple[int, str]:
        """The user let in, or (status, reason) to refuse."""
        path = scope["path"]
        query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}
        linked = self._signed_link(path, query)
        if linked is not None:
            scope["opsguard.link"] = linked
            return "link"
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if self.policy.mode == "none":
            return "anonymous"
        if self.policy.mode == "header":
            user = headers.get(self.policy.header.lower(), "").strip()
            client = scope.get("client")
            if not user:
                return 401, f"sign in through the SSO proxy (no {self.policy.header} header)"
            if client is None or not self._trusted(client[0]):
                return 403, f"{self.policy.header} is honoured only from the configured trusted proxies"
            scope["opsguard.user"] = user
            return user
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and hmac.compare_digest(auth[7:].strip().encode(),
                                                                     self.policy.token.encode()):
            return "token"
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 — a malformed cookie header is no credential
            cookie = SimpleCookie()
        session = cookie.get(SESSION_COOKIE)
        user = self.signer.session_user(session.value) if session is not None else None
        if user is not None:
            scope["opsguard.user"] = user
            return user
        return 401, "sign in at /login (or send Authorization: Bearer <token>)"

    def _signed_link(self, path: str, query: dict[str, str]) -> dict[str, str] | None:
        """The link query when `path` is a page a valid signed link opens."""
        if "sig" not in query or "exp" not in query:
            return None
        match = _CHECK_PATH.match(path)
        message_id = unquote(match.group(1)) if match else (query.get("check") if path.startswith("/docs") else None)
        if not message_id or not self.signer.valid(message_id, query["exp"], query["sig"]):
            return None
        return {"check": message_id, "exp": query["exp"], "sig": query["sig"]}

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._proxies)


async def _refuse(send: Send, path: str, status: int, reason: str) -> None:
    """401/403: JSON for APIs and /metrics; for pages an HTML answer with the way in (the login form)."""
    if path.startswith("/api/") or path == "/metrics":
        body = orjson.dumps({"error": "unauthenticated" if status == 401 else "forbidden", "detail": reason})
        kind = b"application/json"
    else:
        body = login_page(next_path=path, message=reason).encode("utf-8")
        kind = b"text/html; charset=utf-8"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode("ascii"))]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="opsguard"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def safe_next(value: str | None) -> str:
    """Where to go after a login: a path on this server only (never another site).

    >>> safe_next("/checks/m-1"), safe_next("//evil.example/x"), safe_next("https://evil.example"), safe_next(None)
    ('/checks/m-1', '/checks', '/checks', '/checks')
    """
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/checks"


def login_page(*, next_path: str = "/checks", message: str = "") -> str:
    """The sign-in form (token mode); every value escaped."""
    from html import escape

    note = f'<p class="note">{escape(message)}</p>' if message else ""
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>opsguard: sign in</title>"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>"
            "<body style=\"font:15px system-ui,sans-serif;max-width:28em;margin:4em auto\"><h1>opsguard</h1>"
            f"{note}<form method=\"post\" action=\"/login\">"
            f"<input type=\"hidden\" name=\"next\" value=\"{escape(safe_next(next_path))}\">"
            "<label>Access token <input type=\"password\" name=\"token\" autocomplete=\"current-password\" "
            "required></label> <button type=\"submit\">Sign in</button></form>"
            "<p>A <em>View Details</em> link from DataWorks opens its check without signing in, until it expires."
            "</p></body></html>")
