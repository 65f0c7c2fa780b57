"""Who may push events: EventBridge signatures, a shared token, or nobody checked.

Every authenticator offers ``check(url, headers, body) -> Verified`` (raises ``AuthFailure``),
``remember(verified)`` once the push is stored, and ``may_block(headers)`` (whether ``check`` would go to the
network: an async caller then runs it in a thread). ``url`` is the URL the sender addressed, built from the
configured public URL, never from the request's Host header (see ``require_signed_url``).

- ``SignatureAuth``: EventBridge's v1 and v2 signatures (``opsguard.webhook.signature``) against a pinned key or
  keys fetched from allow-listed URLs (``opsguard.webhook.keys``). Older than ``max_age_seconds`` →
  401; key not obtainable now → 503 (the sender retries). A push whose signature was already accepted is a
  **replay → 409**: the sender is authentic, the very same request was accepted before, nothing new
  happens. Replays are recognised by the *decoded* signature bytes of every scheme that verified (base64
  has spare bits: one signature has several spellings), kept for twice the age window and reloaded from
  the inbox after a restart.
- ``TokenAuth``: header ``x-opsguard-token`` (or ``Authorization: Bearer``) must equal the configured token.
  No per-request signature, so no replay detection beyond message-id deduplication.
- ``NoAuth``: for loopback development only; the server logs a warning.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from opsguard.webhook.keys import OFFICIAL_KEY_URLS, KeyFetcher, KeySource, PinnedKey
from opsguard.config import TOKEN_HEADER, is_loopback
from opsguard.webhook.signature import (H_TOKEN, H_URL, BadKey, BadSignature, KeyUnavailable, Match, MissingSignature,
                                    WebhookAuthError, check_timestamp, key_url, lower_headers, schemes_present,
                                    verify_signatures)
from lineage.errors import ConfigError

__all__ = ["AuthFailure", "Authenticator", "NoAuth", "ReplayCache", "SignatureAuth", "TokenAuth", "Verified",
           "replay_keys", "require_signed_url", "signature_auth"]

log = logging.getLogger(__name__)


class AuthFailure(Exception):
    """A push that is not let in: `status` 401 (unauthenticated), 409 (replay) or 503 (cannot tell now)."""

    def __init__(self, status: int, reason: str, detail: str):
        self.status, self.reason, self.detail = status, reason, detail
        super().__init__(f"{status} {reason}: {detail}")


@dataclass(frozen=True)
class Verified:
    """An authenticated push. Signed: `scheme` ("v1", "v2" or "v1+v2"), the string-to-sign `form` that matched
    (INFERRED forms are named, see `opsguard.webhook.signature`), the signature's timestamp (ms), the key URL,
    and `replay_key` (what the replay cache holds; stored with the message)."""

    scheme: str | None = None
    form: str | None = None
    timestamp_ms: int | None = None
    key_url: str | None = None
    replay_key: str | None = None


class Authenticator(Protocol):
    """Checks one push; raises `AuthFailure`. `remember` is told about a push once it is stored."""

    def check(self, url: str, headers: Mapping[str, str], body: bytes) -> Verified: ...

    def remember(self, verified: Verified) -> None: ...

    def may_block(self, headers: Mapping[str, str]) -> bool: ...


def replay_keys(matches: Iterable[Match]) -> str:
    """The replay key of a push: per verified scheme, a digest of its DECODED signature (space-separated).

    >>> replay_keys([Match("v1", "v1", bytes(20))])
    'v1:de47c9b27eb8d300dbb5f2c353e632c3'
    """
    return " ".join(f"{m.scheme}:{hashlib.sha256(m.signature).hexdigest()[:32]}" for m in matches)


class ReplayCache:
    """Replay keys seen within the age window (thread-safe, pruned as it goes)."""

    def __init__(self, max_age_ms: int, clock: Callable[[], float] = time.time):
        self._max_age_ms = max_age_ms
        self._clock = clock
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._next_prune = 0.0

    def seen(self, replay_key: str) -> bool:
        """Whether any part of `replay_key` (one per verified scheme) was seen."""
        return any(k in self._seen for k in replay_key.split())

    def add(self, replay_key: str, at_ms: float) -> None:
        now_ms = self._clock() * 1000
        with self._lock:
            for k in replay_key.split():
                self._seen[k] = at_ms
            if now_ms >= self._next_prune:
                horizon = now_ms - 2 * self._max_age_ms  # twice the window: clocks differ a little
                self._seen = {s: t for s, t in self._seen.items() if t >= horizon}
                self._next_prune = now_ms + self._max_age_ms

    def preload(self, stored: Iterable[tuple[str, datetime]]) -> None:
        """Replay keys of recently accepted messages (from the inbox, after a restart)."""
        for key, received_at in stored:
            self.add(key, received_at.timestamp() * 1000)


class SignatureAuth:
    """EventBridge HTTP-push signatures (v1 and v2), with the key from `keys` (a `KeySource`, or PEM bytes to pin).

    A key not cached yet is fetched in `check` (`may_block` says so beforehand). So is the one refetch a
    failed signature may cause (a key replaced in place; at most once per URL per refetch interval, bounded
    by the fetch timeout), which `may_block` cannot foresee."""

    def __init__(self, keys: KeySource | bytes, *, max_age_seconds: float = 60.0, token: str | None = None,
                 clock: Callable[[], float] = time.time):
        """`token`: the `x-eventbridge-signature-token` set on our EventBridge target; when given, a push must
        carry exactly it (the key is every tenant's: the token is what ties a push to our rule)."""
        self.keys: KeySource = PinnedKey(keys) if isinstance(keys, bytes) else keys
        self._token = token.encode() if token else None
        self._max_age_ms = int(max_age_seconds * 1000)
        self._clock = clock
        self.replays = ReplayCache(self._max_age_ms, clock)
        self._logged: set[tuple[str, str]] = set()

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> SignatureAuth:
        """Pin the PEM file (public key or certificate); `ConfigError` when it is missing or holds no RSA key."""
        try:
            pem = Path(path).read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read server.public_key_file {path}: {exc.strerror or exc}") from None
        try:
            return cls(PinnedKey(pem), **kwargs)
        except BadKey as exc:
            raise ConfigError(f"server.public_key_file {path} is not a PEM public key: {exc}") from None

    def may_block(self, headers: Mapping[str, str]) -> bool:
        url = headers.get(H_URL) or lower_headers(headers).get(H_URL, "")   # (the server's names are lower-case)
        return bool(url) and self.keys.would_fetch(url)

    def check(self, url: str, headers: Mapping[str, str], body: bytes) -> Verified:
        if not url.startswith(("https://", "http://")):
            raise AuthFailure(503, "unavailable", "the URL EventBridge signed is unknown: set [server] public_url")
        h = lower_headers(headers)
        try:
            if not schemes_present(h):
                raise MissingSignature("no EventBridge signature: x-eventbridge-signature-v2 or "
                                       "x-eventbridge-signature is required")
            stamp = check_timestamp(h, int(self._clock() * 1000), self._max_age_ms)   # before any key fetch
            where = key_url(h)
            matches = self._verify(url, h, body, where)
            if self._token is not None and not hmac.compare_digest(h.get(H_TOKEN, "").encode(), self._token):
                raise BadSignature(f"{H_TOKEN} is not the token configured for our EventBridge target")
        except KeyUnavailable as exc:
            raise AuthFailure(503, "key-unavailable", f"{type(exc).__name__}: {exc}") from None
        except WebhookAuthError as exc:
            raise AuthFailure(401, "unauthenticated", f"{type(exc).__name__}: {exc}") from None
        replay_key = replay_keys(matches)
        if self.replays.seen(replay_key):
            raise AuthFailure(409, "replay", "this signed request was accepted before (same signature bytes); "
                                             "nothing was done again")
        matches.sort(key=lambda m: m.scheme)
        return Verified("+".join(m.scheme for m in matches), "+".join(m.form for m in matches), stamp, where,
                        replay_key)

    def _verify(self, url: str, h: Mapping[str, str], body: bytes, where: str) -> list[Match]:
        key = self.keys.key_for(where)
        matches, failures = verify_signatures(url, h, body, key)
        if not matches and all(not isinstance(f, MissingSignature) for f in failures):
            fresh = self.keys.refreshed(where, key)    # a key replaced in place (bounded: see KeySource)
            if fresh is not None:
                matches, failures = verify_signatures(url, h, body, fresh)
        if not matches:
            raise failures[0]
        self._note(matches, failures)
        return matches

    def _note(self, matches: list[Match], failures: list[WebhookAuthError]) -> None:
        """Log the first push of each scheme and form (which INFERRED form the platform really uses), and the
        first time one scheme fails beside another that verified."""
        for m in matches:
            if (m.scheme, m.form) not in self._logged:
                self._logged.add((m.scheme, m.form))
                log.info("EventBridge signature %s verified with string-to-sign form %r", m.scheme, m.form)
        for f in failures:
            if ("failed", type(f).__name__) not in self._logged:
                self._logged.add(("failed", type(f).__name__))
                log.warning("one signature scheme failed beside one that verified (%s): %s", type(f).__name__, f)

    def remember(self, verified: Verified) -> None:
        if verified.replay_key:
            self.replays.add(verified.replay_key, verified.timestamp_ms or self._clock() * 1000)


def signature_auth(*, public_key_file: str = "", key_urls: Iterable[str] = OFFICIAL_KEY_URLS,
                   fetch_timeout_seconds: float = 5.0, max_age_seconds: float = 60.0,
                   token: str | None = None) -> SignatureAuth:
    """`SignatureAuth` from plain settings: the pinned key file when given (nothing fetched), else keys fetched
    from the URLs pushes name, if `key_urls` allows them; `token` required on every push when given.
    `ConfigError` for a bad file or pattern."""
    if public_key_file:
        return SignatureAuth.from_file(public_key_file, max_age_seconds=max_age_seconds, token=token)
    fetcher = KeyFetcher(tuple(key_urls), timeout_seconds=fetch_timeout_seconds)
    return SignatureAuth(fetcher, max_age_seconds=max_age_seconds, token=token)


def require_signed_url(public_url: str, host: str) -> None:
    """`ConfigError` unless the URL EventBridge signs is known: `[server] public_url`, or, on a loopback
    bind only, the address the server listens on (whatever calls a loopback server addresses it so).

    >>> require_signed_url("", "127.0.0.1")
    >>> require_signed_url("", "0.0.0.0")
    Traceback (most recent call last):
    ...
    lineage.errors.ConfigError: server.auth = "signature" needs server.public_url: the URL EventBridge calls ...
    """
    if public_url or is_loopback(host):
        return
    raise ConfigError("server.auth = \"signature\" needs server.public_url: the URL EventBridge calls (its "
                      "target's URL, e.g. https://opsguard.example.com), which is the URL it signs; the request's "
                      "Host header is not trusted for it")


class TokenAuth:
    """A shared secret in `x-opsguard-token` or `Authorization: Bearer <token>`.

    >>> auth = TokenAuth("s3cret-token-0123456789")
    >>> auth.check("http://h/events", {"authorization": "Bearer s3cret-token-0123456789"}, b"{}")
    Verified(scheme=None, form=None, timestamp_ms=None, key_url=None, replay_key=None)
    >>> auth.check("http://h/events", {"x-opsguard-token": "guess"}, b"{}")
    Traceback (most recent call last):
    ...
    opsguard.webhook.auth.AuthFailure: 401 unauthenticated: wrong x-opsguard-token
    """

    def __init__(self, token: str):
        if len(token) < 16:
            raise ConfigError("the webhook token must be at least 16 characters")
        self._token = token.encode()

    def check(self, url: str, headers: Mapping[str, str], body: bytes) -> Verified:
        given = headers.get(TOKEN_HEADER)
        if given is None:
            auth = headers.get("authorization", "")
            given = auth[7:] if auth.lower().startswith("bearer ") else None
        if given is None:
            raise AuthFailure(401, "unauthenticated", f"missing {TOKEN_HEADER} header")
        if not hmac.compare_digest(given.strip().encode(), self._token):
            raise AuthFailure(401, "unauthenticated", f"wrong {TOKEN_HEADER}")
        return Verified()

    def remember(self, verified: Verified) -> None:
        pass

    def may_block(self, headers: Mapping[str, str]) -> bool:
        return False


class NoAuth:
    """Every push is let in (loopback development only)."""

    def check(self, url: str, headers: Mapping[str, str], body: bytes) -> Verified:
        return Verified()

    def remember(self, verified: Verified) -> None:
        pass

    def may_block(self, headers: Mapping[str, str]) -> bool:
        return False
