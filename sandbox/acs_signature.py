"""ACS3-HMAC-SHA256 (Alibaba Cloud signature V3): signing and gateway-style verification.

Matches ``alibabacloud_tea_openapi.utils.Utils.get_authorization`` byte for byte:

    canonical request = METHOD \\n path \\n canonical query \\n canonical headers \\n
                        signed headers \\n hex sha256(body)
    canonical query   = decoded params sorted by name, ``name=quote(value, safe="~")`` joined by ``&``
                        (so a space is ``%20`` even though the URL carried ``+``)
    canonical headers = for each signed header (lower-cased, sorted): ``name:value.strip()\\n``
                        (repeated headers: values sorted and joined with ``,``)
    string to sign    = "ACS3-HMAC-SHA256\\n" + hex sha256(canonical request)
    signature         = hex HMAC-SHA256(secret, string to sign)

The verifier also enforces what a gateway does: the ``x-acs-*`` headers and host must be
signed, ``x-acs-content-sha256`` must match the body, ``x-acs-date`` must be within
±15 min and a nonce may be used once.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote

from sandbox.api_error import ApiError

ALGORITHM = "ACS3-HMAC-SHA256"
REQUIRED_SIGNED_HEADERS = ("host", "x-acs-action", "x-acs-content-sha256", "x-acs-date",
                           "x-acs-signature-nonce", "x-acs-version")
MAX_CLOCK_SKEW_S = 15 * 60
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

#: headers as received: lower-cased name -> list of values
Headers = Mapping[str, list[str]]


@dataclass(frozen=True)
class Authorization:
    access_key_id: str
    signed_headers: tuple[str, ...]
    signature: str


def canonical_query(params: Mapping[str, str]) -> str:
    """Sorted, re-encoded query parameters (values already URL-decoded).

    >>> canonical_query({"b": "x y", "a": "1+1~", "c": "/"})
    'a=1%2B1~&b=x%20y&c=%2F'
    """
    return "&".join(f"{quote(k, safe='~')}={quote(params[k], safe='~')}" for k in sorted(params))


def canonical_request(method: str, path: str, query: Mapping[str, str], headers: Headers,
                      signed_headers: tuple[str, ...], payload_sha256: str) -> str:
    lines = "".join(f"{name}:{','.join(sorted(v.strip() for v in headers.get(name, [])))}\n"
                    for name in signed_headers)
    return f"{method}\n{path or '/'}\n{canonical_query(query)}\n{lines}\n{';'.join(signed_headers)}\n{payload_sha256}"


def signature(secret: str, canonical: str) -> str:
    to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"
    return hmac.new(secret.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization_header(method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str],
                         access_key_id: str, secret: str) -> str:
    """``Authorization`` value signing every header in ``headers`` (for hand-made requests in tests)."""
    lowered: dict[str, list[str]] = {}
    for name, value in headers.items():
        lowered.setdefault(name.lower(), []).append(value)
    signed = tuple(sorted(lowered))
    payload = lowered.get("x-acs-content-sha256", [EMPTY_SHA256])[0]
    sig = signature(secret, canonical_request(method, path, query, lowered, signed, payload))
    return f"{ALGORITHM} Credential={access_key_id},SignedHeaders={';'.join(signed)},Signature={sig}"


def parse_authorization(value: str | None) -> Authorization:
    """Split ``ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..``."""
    if not value:
        raise _incomplete("the Authorization header is missing")
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise _incomplete(f"unsupported signature algorithm {algorithm!r}, expected {ALGORITHM}")
    parts = dict(item.strip().partition("=")[::2] for item in rest.split(","))
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if not parts.get(k)]
    if missing:
        raise _incomplete(f"the Authorization header lacks {', '.join(missing)}")
    signed = tuple(parts["SignedHeaders"].split(";"))
    return Authorization(parts["Credential"], signed, parts["Signature"])


class SignatureVerifier:
    """Verifies requests against known access keys; remembers nonces for the skew window."""

    def __init__(self, credentials: Mapping[str, str], clock: Callable[[], float] = time.time,
                 max_skew_s: float = MAX_CLOCK_SKEW_S):
        self._credentials = dict(credentials)
        self._clock = clock
        self._max_skew = max_skew_s
        self._nonces: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, method: str, path: str, query: Mapping[str, str], headers: Headers, body: bytes) -> str:
        """Return the caller's access key id, or raise ``ApiError`` as the gateway would."""
        auth = parse_authorization(_one(headers, "authorization"))
        unsigned = [h for h in REQUIRED_SIGNED_HEADERS if h not in auth.signed_headers]
        absent = [h for h in auth.signed_headers if h not in headers]
        if unsigned or absent:
            raise _incomplete(f"headers not signed: {', '.join(unsigned)}" if unsigned
                              else f"signed headers not sent: {', '.join(absent)}")
        secret = self._credentials.get(auth.access_key_id)
        if secret is None:
            raise ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        sent = self._check_date(_one(headers, "x-acs-date"))
        payload = hashlib.sha256(body).hexdigest()
        if _one(headers, "x-acs-content-sha256") != payload:
            raise ApiError(400, "SignatureDoesNotMatch", "x-acs-content-sha256 does not match the request body.")
        expected = signature(secret, canonical_request(method, path, query, headers, auth.signed_headers, payload))
        if not hmac.compare_digest(expected, auth.signature):
            raise ApiError(400, "SignatureDoesNotMatch",
                           "The request signature does not conform to Aliyun standards.")
        self._use_nonce(_one(headers, "x-acs-signature-nonce"), sent)
        return auth.access_key_id

    def _check_date(self, value: str) -> float:
        """The request's time (epoch s) if within the allowed skew."""
        try:
            sent = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            raise ApiError(400, "InvalidTimeStamp.Format",
                           f"x-acs-date {value!r} is not yyyy-MM-ddTHH:mm:ssZ.") from None
        if abs(self._clock() - sent) > self._max_skew:
            raise ApiError(400, "InvalidTimeStamp.Expired",
                           f"x-acs-date {value} is more than 15 minutes away from the server time.")
        return sent

    def _use_nonce(self, nonce: str, sent: float) -> None:
        """Remember a nonce until its request's date is too old to pass ``_check_date`` anyway."""
        now = self._clock()
        with self._lock:
            if nonce in self._nonces:
                raise ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            self._nonces[nonce] = sent + self._max_skew
            while self._nonces:
                oldest, expires = next(iter(self._nonces.items()))
                if expires >= now:
                    break
                del self._nonces[oldest]


def _one(headers: Headers, name: str) -> str:
    values = headers.get(name)
    return values[0].strip() if values else ""


def _incomplete(why: str) -> ApiError:
    return ApiError(400, "IncompleteSignature", f"The request signature is incomplete: {why}.")
