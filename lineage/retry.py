"""Which DataWorks failures are worth another try, and how long to wait: pure functions, so the
policy is tested without a network or a clock."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

__all__ = ["Failure", "FailureKind", "classify", "backoff_seconds", "CREDENTIAL_CODES"]

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
        kind = FailureKind.TRANSIENT
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
