"""Who may push events: EventBridge signatures (REFERENCE.md §5), a shared token, or nobody checked.

- `SignatureAuth`: `opsguard.webhook.signature.verify_push` with the pinned public key; older than
  `max_age_seconds` → 401. A request whose signature was already accepted is a **replay → 409**: the
  sender is authentic (the signature verifies) but the very same request was accepted before, so
  nothing new happens; 409 says "duplicate", not "who are you". Signatures of accepted messages are
  kept for the age window, and reloaded from the inbox after a restart.
- `TokenAuth`: header `x-opsguard-token` (or `Authorization: Bearer`) must equal the configured token.
  No per-request signature, so no replay detection beyond message-id deduplication.
- `NoAuth`: for loopback development only; the server logs a warning.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from opsguard.config import TOKEN_HEADER
from lineage.errors import ConfigError

__all__ = ["AuthFailure", "Authenticator", "SignatureAuth", "TokenAuth", "NoAuth", "ReplayCache",
           "SIGNATURE_HEADER", "TIMESTAMP_HEADER"]

SIGNATURE_HEADER = "x-eventbridge-signature"
TIMESTAMP_HEADER = "x-eventbridge-signature-timestamp"


class AuthFailure(Exception):
    """A push that is not let in: `status` 401 (unauthenticated) or 409 (replay), `reason` for the record."""

    def __init__(self, status: int, reason: str, detail: str):
        self.status, self.reason, self.detail = status, reason, detail
        super().__init__(f"{status} {reason}: {detail}")


@dataclass(frozen=True)
class Verified:
    """An authenticated push: `signature` (None without one) and its timestamp in ms."""

    signature: str | None = None
    timestamp_ms: int | None = None


class Authenticator(Protocol):
    """Checks one push; raises `AuthFailure`. `remember` is told about signatures once accepted."""

    def check(self, url: str, headers: Mapping[str, str], body: bytes) -> Verified: ...

    def remember(self, verified: Verified) -> None: ...


class ReplayCache:
    """Signatures seen within the age window (thread-safe, pruned as it goes)."""

    def __init__(self, max_age_ms: int, clock: Callable[[], float] = time.time):
        self._max_age_ms = max_age_ms
        self._clock = clock
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._next_prune = 0.0

    def seen(self, signature: str) -> bool:
        with self._lock:
            return signature in self._seen

    def add(self, signature: str, at_ms: float) -> None:
        now_ms = self._clock() * 1000
        with self._lock:
            self._seen[signature] = at_ms
            if now_ms >= self._next_prune:
                horizon = now_ms - 2 * self._max_age_ms  # twice the window: clocks differ a little
                self._seen = {s: t for s, t in self._seen.items() if t >= horizon}
                self._next_prune = now_ms + self._max_age_ms

    def preload(self, signatures: Iterable[tuple[str, datetime]]) -> None:
        """Signatures of recently accepted messages (from the inbox, after a restart)."""
        for signature, received_at in signatures:
            self.add(signature, received_at.timestamp() * 1000)


class SignatureAuth:
    """EventBridge HTTP-push signatures verified against the pinned RSA public key."""

    def __init__(self, public_key_pem: bytes, *, max_age_seconds: float = 60.0,
                 clock: Callable[[], float] = time.time):
        self._pem = public_key_pem
        self._max_age_ms = int(max_age_seconds * 1000)
        self._clock = clock
        self.replays = ReplayCache(self._max_age_ms, clock)

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: float) -> SignatureAuth:
        """Read the PEM file; `ConfigError` when it is missing or not a public key."""
        if not path:
            raise ConfigError("server.auth = \"signature\" needs server.public_key_file (EventBridge's public key PEM)")
        try:
            pem = Path(path).read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read server.public_key_file {path}: {exc.strerror or exc}") from None
        if b"PUBLIC KEY" not in pem:
            raise ConfigError(f"server.public_key_file {path} is not a PEM public key")
        return cls(pem, **kwargs)

    def check(self, url: str, headers: Mapping[str, str], body: bytes) -> Verified:
        from opsguard.webhook.signature import WebhookAuthError, verify_push

        now_ms = int(self._clock() * 1000)
        try:
            verify_push(url, headers, body, self._pem, now_ms, max_age_ms=self._max_age_ms)
        except WebhookAuthError as exc:
            raise AuthFailure(401, "unauthenticated", f"{type(exc).__name__}: {exc}") from None
        signature = headers.get(SIGNATURE_HEADER, "")
        if self.replays.seen(signature):
            raise AuthFailure(409, "replay", "this exact signed request was accepted before (same signature); "
                                             "nothing was done again")
        try:
            stamp = int(headers.get(TIMESTAMP_HEADER, "") or now_ms)
        except ValueError:
            stamp = now_ms
        return Verified(signature, stamp)

    def remember(self, verified: Verified) -> None:
        if verified.signature:
            self.replays.add(verified.signature, verified.timestamp_ms or self._clock() * 1000)


class TokenAuth:
    """A shared secret in `x-opsguard-token` or `Authorization: Bearer <token>`.

    >>> auth = TokenAuth("s3cret-token-0123456789")
    >>> auth.check("http://h/events", {"authorization": "Bearer s3cret-token-0123456789"}, b"{}")
    Verified(signature=None, timestamp_ms=None)
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


class NoAuth:
    """Every push is let in (loopback development only)."""

    def check(self, url: str, headers: Mapping[str, str], body: bytes) -> Verified:
        return Verified()

    def remember(self, verified: Verified) -> None:
        pass
