"""Where EventBridge's public key comes from: a pinned file, or fetched from the URL a push names.

A push names its key in ``x-eventbridge-signature-url``. Anyone can put any URL there, so a key is fetched
only from an allow-listed origin (``KeyUrlPolicy``; default: the official
``https://<region>-eventbridge.oss-accelerate.aliyuncs.com`` hosts, HTTPS only), and the fetching is
bounded so that forged pushes cannot turn the server into a downloader:

- one fetch per URL, then the key is cached by URL (a rotation names a new file: a new URL, one fetch);
- a URL that failed is not tried again for ``FAILED_MEMORY_SECONDS``;
- every fetch takes a token from one bucket (``fetch_burst``, refilled at ``fetches_per_minute``): with
  none left the push gets "key unavailable" (503, the sender retries later), nothing is fetched;
- ``timeout_seconds`` bounds connecting, each read and the whole download; ``max_bytes`` its size; no
  redirect is followed (it could leave the allow-list);
- a signature that fails against a cached key older than ``refetch_after_seconds`` may refetch that URL
  once (a key replaced in place); the next such refetch waits another ``refetch_after_seconds``.

``PinnedKey`` is the offline alternative: one key file, nothing fetched, key URLs not consulted.
Both offer ``key_for(url)``, ``would_fetch(url)`` and ``refreshed(url, key)`` (see ``KeySource``).
"""

from __future__ import annotations

import logging
import re
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.client import HTTPException
from typing import Protocol
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from opsguard.webhook.signature import BadKey, KeyUnavailable, UntrustedKeyUrl, WebhookAuthError, load_public_key
from lineage.errors import ConfigError

__all__ = ["OFFICIAL_KEY_URLS", "KeyFetcher", "KeySource", "KeyUrlPolicy", "PinnedKey", "fetch_pem"]

log = logging.getLogger(__name__)
#: documented: the official key origins are https://[RegionId]-eventbridge.oss-accelerate.aliyuncs.com
OFFICIAL_KEY_URLS = ("https://*-eventbridge.oss-accelerate.aliyuncs.com",)
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
FAILED_MEMORY_SECONDS = 60.0
_DEFAULT_PORTS = {"https": 443, "http": 80}


class KeySource(Protocol):
    """Gives the public key a push names."""

    def key_for(self, url: str) -> rsa.RSAPublicKey:
        """The key at `url`; raises `UntrustedKeyUrl`, `BadKey` or `KeyUnavailable`."""
        ...

    def would_fetch(self, url: str) -> bool:
        """Whether `key_for(url)` would go to the network (an async caller then runs it in a thread)."""
        ...

    def refreshed(self, url: str, key: rsa.RSAPublicKey) -> rsa.RSAPublicKey | None:
        """After `key` failed a signature: a different key now at `url`, or None (no refetch allowed or no change)."""
        ...


@dataclass(frozen=True)
class _Origin:
    scheme: str
    host: re.Pattern[str]
    port: int | None      # None: any port

    def allows(self, scheme: str, host: str, port: int) -> bool:
        return scheme == self.scheme and bool(self.host.fullmatch(host)) and self.port in (None, port)


class KeyUrlPolicy:
    """Allowed key-URL origins, as patterns ``scheme://host[:port]``: ``*`` in the host stands for one or more
    letters, digits or hyphens (never a dot), a port of ``*`` for any port; without a port only the scheme's
    default port is allowed. Plain ``http://`` is accepted only for loopback hosts (tests, a sandbox).

    >>> policy = KeyUrlPolicy(OFFICIAL_KEY_URLS)
    >>> policy.check("https://cn-shanghai-eventbridge.oss-accelerate.aliyuncs.com/x509_public_certificate.pem")
    >>> policy.check("https://evil.example/k.pem")
    Traceback (most recent call last):
    ...
    opsguard.webhook.signature.UntrustedKeyUrl: key URL host 'evil.example' (https) is not allowed by [server] key_urls ...
    >>> policy.check("http://cn-shanghai-eventbridge.oss-accelerate.aliyuncs.com/k.pem")
    Traceback (most recent call last):
    ...
    opsguard.webhook.signature.UntrustedKeyUrl: key URL host 'cn-shanghai-eventbridge.oss-accelerate.aliyuncs.com' (http) ...
    """

    def __init__(self, patterns: Iterable[str]):
        self.patterns = tuple(patterns)
        if not self.patterns:
            raise ConfigError("server.key_urls is empty: list the allowed key origins, or pin server.public_key_file")
        self._origins = tuple(_parse_pattern(p) for p in self.patterns)

    def check(self, url: str) -> None:
        """Return if `url` may be fetched; `UntrustedKeyUrl` naming its host if not."""
        try:
            parts = urlsplit(url)
            scheme, host, port = parts.scheme.lower(), (parts.hostname or ""), parts.port
        except ValueError:
            raise UntrustedKeyUrl(f"key URL {url[:200]!r} cannot be parsed") from None
        if "@" in parts.netloc or not host:
            raise UntrustedKeyUrl(f"key URL {url[:200]!r} has no plain host")
        port = port if port is not None else _DEFAULT_PORTS.get(scheme, -1)
        if not any(origin.allows(scheme, host, port) for origin in self._origins):
            raise UntrustedKeyUrl(f"key URL host {host!r} ({scheme}) is not allowed by [server] key_urls "
                                  f"({', '.join(self.patterns)})")


def _parse_pattern(pattern: str) -> _Origin:
    match = re.fullmatch(r"(https?)://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9*.-]+)(?::(\*|\d{1,5}))?/?", pattern.strip())
    if match is None:
        raise ConfigError(f"server.key_urls: {pattern!r} is not scheme://host[:port] (https, a host with "
                          f"optional * labels, an optional port or :*)")
    scheme, host, port = match.group(1), match.group(2).strip("[]").lower(), match.group(3)
    if scheme == "http" and host not in LOOPBACK_HOSTS:
        raise ConfigError(f"server.key_urls: {pattern!r} is plain http; key URLs must be https "
                          f"(http only for a loopback host: {', '.join(LOOPBACK_HOSTS)})")
    if ":" in host:                            # an IPv6 literal: as written
        regex = re.compile(re.escape(host))
    else:
        regex = re.compile(r"\.".join(re.escape(label).replace(r"\*", "[a-z0-9-]+") for label in host.split(".")))
    return _Origin(scheme, regex, None if port == "*" else int(port) if port else _DEFAULT_PORTS[scheme])


class PinnedKey:
    """One configured key for every push; key URLs are not consulted and nothing is fetched."""

    def __init__(self, pem: bytes):
        self.key = load_public_key(pem)

    def key_for(self, url: str) -> rsa.RSAPublicKey:
        return self.key

    def would_fetch(self, url: str) -> bool:
        return False

    def refreshed(self, url: str, key: rsa.RSAPublicKey) -> rsa.RSAPublicKey | None:
        return None


@dataclass
class _Cached:
    key: rsa.RSAPublicKey
    fetched_at: float


class KeyFetcher:
    """Keys fetched from allow-listed URLs, cached by URL, fetches bounded (see the module docstring)."""

    def __init__(self, policy: KeyUrlPolicy | Iterable[str] = OFFICIAL_KEY_URLS, *, timeout_seconds: float = 5.0,
                 max_bytes: int = 64 * 1024, refetch_after_seconds: float = 300.0, fetch_burst: int = 3,
                 fetches_per_minute: float = 6.0, max_keys: int = 16, clock: Callable[[], float] = time.monotonic):
        self.policy = policy if isinstance(policy, KeyUrlPolicy) else KeyUrlPolicy(policy)
        self.timeout, self.max_bytes, self.refetch_after = timeout_seconds, max_bytes, refetch_after_seconds
        self._burst, self._refill = float(fetch_burst), fetches_per_minute / 60.0
        self._tokens, self._filled_at = float(fetch_burst), clock()
        self._max_keys, self._clock = max_keys, clock
        self._keys: OrderedDict[str, _Cached] = OrderedDict()
        self._failed: OrderedDict[str, tuple[float, WebhookAuthError]] = OrderedDict()
        self._lock = threading.Lock()          # the dicts and the bucket
        self._fetching = threading.Lock()      # one fetch at a time: concurrent first pushes share it
        self.fetches = 0                       # fetches attempted (for tests and logs)

    def would_fetch(self, url: str) -> bool:
        if url in self._keys or self._recent_failure(url) is not None:
            return False
        try:
            self.policy.check(url)
        except UntrustedKeyUrl:
            return False
        return True

    def key_for(self, url: str) -> rsa.RSAPublicKey:
        cached = self._keys.get(url)
        if cached is not None:
            return cached.key
        self.policy.check(url)
        with self._fetching:
            cached = self._keys.get(url)       # fetched meanwhile by another push
            if cached is not None:
                return cached.key
            failure = self._recent_failure(url)
            if failure is not None:
                raise type(failure)(f"{failure} (not retried for {FAILED_MEMORY_SECONDS:g} s)")
            self._take_token(url)
            try:
                key = self._fetch(url)
            except WebhookAuthError as exc:
                with self._lock:
                    self._failed[url] = (self._clock(), exc)
                    while len(self._failed) > 256:
                        self._failed.popitem(last=False)
                raise
            self._store(url, key)
            return key

    def refreshed(self, url: str, key: rsa.RSAPublicKey) -> rsa.RSAPublicKey | None:
        with self._fetching:
            cached = self._keys.get(url)
            if cached is None:
                return None
            if cached.key is not key:          # refreshed meanwhile
                return cached.key
            if self._clock() - cached.fetched_at < self.refetch_after:
                return None
            cached.fetched_at = self._clock()  # at most one refetch per refetch_after, whatever happens next
            try:
                self._take_token(url)
                fresh = self._fetch(url)
            except WebhookAuthError as exc:
                log.warning("refetching EventBridge key %s failed: %s", url, exc)
                return None
            if fresh.public_numbers() == key.public_numbers():
                return None
            log.warning("EventBridge key at %s changed in place; using the new key", url)
            self._store(url, fresh)
            return fresh

    def _fetch(self, url: str) -> rsa.RSAPublicKey:
        self.fetches += 1
        pem = fetch_pem(url, self.timeout, self.max_bytes)
        key = load_public_key(pem)
        log.info("fetched EventBridge public key %s (%d bytes, RSA-%d)", url, len(pem), key.key_size)
        return key

    def _store(self, url: str, key: rsa.RSAPublicKey) -> None:
        with self._lock:
            self._keys[url] = _Cached(key, self._clock())
            self._failed.pop(url, None)
            while len(self._keys) > self._max_keys:
                self._keys.popitem(last=False)

    def _recent_failure(self, url: str) -> WebhookAuthError | None:
        failed = self._failed.get(url)
        if failed is None or self._clock() - failed[0] >= FAILED_MEMORY_SECONDS:
            return None
        return failed[1]

    def _take_token(self, url: str) -> None:
        with self._lock:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._filled_at) * self._refill)
            self._filled_at = now
            if self._tokens < 1.0:
                raise KeyUnavailable(f"key fetch budget spent ({self._burst:g} at once, "
                                     f"{self._refill * 60:g}/min): {url} not fetched; retry later")
            self._tokens -= 1.0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None                            # the 3xx then raises HTTPError


_OPENER = urllib.request.build_opener(_NoRedirect)
_LOOPBACK_OPENER = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))   # never via a proxy


def fetch_pem(url: str, timeout: float, max_bytes: int) -> bytes:
    """GET `url` (no redirects) within `timeout` seconds in all, at most `max_bytes`. A 4xx/3xx or an oversized
    answer is `BadKey` (the URL holds no key); a network failure, timeout or 5xx is `KeyUnavailable`."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"Accept": "application/x-pem-file, text/plain, */*",
                                                   "User-Agent": "opsguard-key-fetch"})
    try:
        opener = _LOOPBACK_OPENER if urlsplit(url).hostname in LOOPBACK_HOSTS else _OPENER
        with opener.open(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise BadKey(f"key URL {url} serves {declared} bytes (limit {max_bytes})")
            chunks, size = [], 0
            while chunk := response.read(8192):
                size += len(chunk)
                if size > max_bytes:
                    raise BadKey(f"key URL {url} serves more than {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise KeyUnavailable(f"fetching key URL {url} took longer than {timeout:g} s")
                chunks.append(chunk)
            return b"".join(chunks)
    except urllib.error.HTTPError as exc:
        exc.close()
        error = KeyUnavailable if exc.code >= 500 else BadKey
        raise error(f"key URL {url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, HTTPException, OSError) as exc:   # timeouts are OSErrors
        reason = getattr(exc, "reason", exc)
        raise KeyUnavailable(f"fetching key URL {url} failed: {reason}") from None
