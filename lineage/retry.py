"""Which DataWorks failures are worth another try, and how long to wait: pure functions, so the
policy is tested without a network or a clock."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

__all__ = ["Failure", "FailureKind", "classify", "backoff_seconds", "network_reason", "CREDENTIAL_CODES"]

CREDENTIAL_CODES = frozenset({
    "InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive", "InvalidAccessKeyId",
    "SignatureDoesNotMatch", "IncompleteSignature", "InvalidSecurityToken.Expired",
    "InvalidSecurityToken.Malformed", "InvalidSecurityToken.MismatchWithAccessKey", "MissingSecurityToken",
})


class FailureKind(Enum):
    THROTTLED = "throttled"        # retry after a pause; slows the whole sync down
    TRANSIENT = "transient"        # 5xx, network, reused nonce: retry with backoff
    CREDENTIALS = "credentials"    # fail at once: nothing will fix itself
    FORBIDDEN = "forbidden"        # fail at once
    CLOCK = "clock"                # x-acs-date rejected: the machine's clock is off
    REJECTED = "rejected"          # any other 4xx / Success=false: a bug or bad input, do not retry


@dataclass(frozen=True)
class Failure:
    """One failed attempt, as read off an SDK exception or a `Success: false` body."""

    kind: FailureKind
    code: str
    status: int | None
    message: str
    request_id: str = ""
    retry_after_ms: int | None = None
    network: bool = False          # no HTTP answer at all; `message` is then `network_reason`'s few words

    @property
    def retryable(self) -> bool:
        return self.kind in (FailureKind.THROTTLED, FailureKind.TRANSIENT)


def classify(code: str | None, status: int | None, message: str = "", *, request_id: str = "",
             retry_after_ms: int | None = None, network: bool = False) -> Failure:
    """Sort a failure by what to do about it.

    >>> classify("Throttling.User", 429).kind
    <FailureKind.THROTTLED: 'throttled'>
    >>> classify("SignatureDoesNotMatch", 400).kind
    <FailureKind.CREDENTIALS: 'credentials'>
    """
    code = code or ""
    if network:
        return Failure(FailureKind.TRANSIENT, code, status, network_reason(message), request_id, retry_after_ms,
                       network=True)
    elif code.startswith("Throttling") or status == 429 or retry_after_ms is not None:
        kind = FailureKind.THROTTLED
    elif code in CREDENTIAL_CODES:
        kind = FailureKind.CREDENTIALS
    elif status == 403 or code.startswith("Forbidden") or code.startswith("NoPermission"):
        kind = FailureKind.FORBIDDEN
    elif code.startswith("InvalidTimeStamp"):
        kind = FailureKind.CLOCK
    elif code == "SignatureNonceUsed" or (status is not None and status >= 500) or code.startswith("InternalError") \
            or code.startswith("ServiceUnavailable"):
        kind = FailureKind.TRANSIENT
    else:
        kind = FailureKind.REJECTED
    return Failure(kind, code, status, message, request_id, retry_after_ms)


# What the HTTP stack says (urllib3 / requests / OSError text) → a few words for the operator. The raw text
# is not shown: it repeats the request URL with its query and wraps the cause in three exception reprs.
_NETWORK_REASONS = (
    (("Connection refused", "ConnectionRefused"), "connection refused"),
    (("NameResolutionError", "Failed to resolve", "Name or service not known", "nodename nor servname",
      "Temporary failure in name resolution", "getaddrinfo failed", "No address associated"),
     "host name does not resolve"),
    (("ProxyError", "Unable to connect to proxy"), "the proxy failed"),
    (("SSLError", "CERTIFICATE_VERIFY_FAILED", "SSL:", "TLS"), "TLS handshake failed"),
    (("timed out", "Timeout", "TimeoutError"), "timed out"),
    (("Network is unreachable", "No route to host"), "network unreachable"),
    (("Connection reset", "Connection aborted", "RemoteDisconnected", "BrokenPipe"), "connection dropped"),
)


def network_reason(text: str) -> str:
    """A network failure in a few words.

    >>> network_reason("HTTPConnectionPool(host='h', port=9): Max retries exceeded with url: /?a=1 "
    ...                "(Caused by NewConnectionError(...: [Errno 111] Connection refused))")
    'connection refused'
    >>> network_reason("weird"), network_reason("Caused by NameResolutionError(...)")
    ('network error', 'host name does not resolve')
    """
    for needles, reason in _NETWORK_REASONS:
        if any(needle in text for needle in needles):
            return reason
    return "network error"


def backoff_seconds(attempt: int, failure: Failure, *, base: float = 0.2, cap: float = 10.0,
                    rng: random.Random | None = None) -> float:
    """Wait before attempt `attempt + 1` (attempt counts from 1): the server's `retry_after` when it
    gave one, else exponential backoff with full jitter, capped.

    >>> backoff_seconds(1, classify("Throttling.User", 429, retry_after_ms=1500))
    1.5
    >>> 0 <= backoff_seconds(3, classify(None, 500), rng=random.Random(1)) <= 0.8
    True
    """
    if failure.retry_after_ms is not None:
        return min(cap, failure.retry_after_ms / 1000)
    ceiling = min(cap, base * (2 ** (attempt - 1)))
    return (rng or random).uniform(0, ceiling)
