"""Authenticating EventBridge HTTP pushes: the two signature schemes, checked against one public key.

EventBridge signs a push in one of two ways (both may come on one push); the receiver checks each scheme
the push carries (see docs/dataworks.md, "EventBridge push signatures"):

- **v1** (``x-eventbridge-signature`` + ``-secret``): a per-push secret, RSA-"encrypted" with EventBridge's
  private key (PKCS#1 v1.5 type-1 padding) and base64; the signature is base64 HMAC-SHA1(secret, string to
  sign). The receiver recovers the secret with the public key and compares HMACs.
- **v2** (``x-eventbridge-signature-v2``, ``x-eventbridge-hash-method: SHA256``): base64 of an RSA
  signature of the SHA-256 hash of the string to sign (PKCS#1 v1.5, INFERRED), checked with the public key.

The string to sign is the URL EventBridge called (with query), "\\n", the signature headers present as
``name: value\\n`` in a fixed order, then the raw body, with or without a final "\\n". Each scheme has a few
candidate ``Form``s of it (which headers, which order, final newline); a signature verifies if it matches
any. Only v1's form with the final newline is documented (the documentation's formula shows none, its
reference code adds one); every other form is INFERRED — ``Match.form`` says which one matched, so the
log shows what the platform really sends and the losing forms can be dropped.

Freshness (``check_timestamp``) is checked before any key is needed; replay detection is the caller's job
(``Match.signature`` is the decoded signature, the thing to remember).

Exceptions::

    WebhookAuthError
    ├── MissingSignature   a required header is absent
    ├── StaleTimestamp     too old (or too far in the future)
    ├── BadSignature       malformed values, wrong key, tampered URL/headers/body
    ├── UntrustedKeyUrl    the key URL is not on the allow-list (nothing is fetched)
    ├── BadKey             what the key URL (or file) holds is no RSA public key
    └── KeyUnavailable     the key cannot be had right now (fetch failed or rate-limited): retry later
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = ["BadKey", "BadSignature", "Form", "H_TOKEN", "H_URL", "KeyUnavailable", "Match", "MissingSignature",
           "StaleTimestamp", "UntrustedKeyUrl", "V1_FORMS", "V2_FORMS", "WebhookAuthError", "check_timestamp",
           "key_url", "load_public_key", "lower_headers", "schemes_present", "verify_push", "verify_signatures"]

H_TIMESTAMP = "x-eventbridge-signature-timestamp"
H_METHOD = "x-eventbridge-signature-method"
H_HASH_METHOD = "x-eventbridge-hash-method"
H_VERSION = "x-eventbridge-signature-version"
H_URL = "x-eventbridge-signature-url"
H_TOKEN = "x-eventbridge-signature-token"
H_SECRET = "x-eventbridge-signature-secret"
H_SIGNATURE = "x-eventbridge-signature"
H_SIGNATURE_V2 = "x-eventbridge-signature-v2"
V1_HEADERS = (H_TIMESTAMP, H_METHOD, H_VERSION, H_URL, H_TOKEN)
V2_HEADERS = (H_TIMESTAMP, H_HASH_METHOD, H_VERSION, H_URL, H_TOKEN)   # INFERRED: hash-method in method's place
V1_REQUIRED = (H_TIMESTAMP, H_METHOD, H_VERSION, H_URL, H_SECRET, H_SIGNATURE)
V2_REQUIRED = (H_TIMESTAMP, H_HASH_METHOD, H_URL, H_SIGNATURE_V2)


class WebhookAuthError(Exception):
    """The push is not (or cannot now be) authenticated; ``str()`` says why in one line."""


class MissingSignature(WebhookAuthError):
    """A signature header is absent."""


class StaleTimestamp(WebhookAuthError):
    """The signature timestamp is outside the accepted window."""


class BadSignature(WebhookAuthError):
    """The signature does not verify against the key (or a value is malformed)."""


class UntrustedKeyUrl(WebhookAuthError):
    """The push names a public-key URL outside the allow-list; nothing was fetched."""


class BadKey(WebhookAuthError):
    """The key URL or file holds no usable RSA public key."""


class KeyUnavailable(WebhookAuthError):
    """The public key cannot be had right now (network, server error, fetch budget): try again later."""


@dataclass(frozen=True)
class Form:
    """One way to write the string to sign: the signature headers listed (those present, in this order) and
    whether a newline follows the body.

    >>> Form("v1", (H_TIMESTAMP, H_METHOD), True).string("https://h/e?q=1", {H_TIMESTAMP: "17", H_METHOD: "M"}, b"{}")
    b'https://h/e?q=1\\nx-eventbridge-signature-timestamp: 17\\nx-eventbridge-signature-method: M\\n{}\\n'
    """

    name: str
    headers: tuple[str, ...]
    final_newline: bool

    def string(self, url: str, h: Mapping[str, str], body: bytes) -> bytes:
        lines = "".join(f"{name}: {h[name]}\n" for name in self.headers if name in h)
        return f"{url}\n{lines}".encode("utf-8") + body + (b"\n" if self.final_newline else b"")


#: v1: documented with the final newline (reference code); without it is the documentation's formula (INFERRED).
V1_FORMS = (Form("v1", V1_HEADERS, True), Form("v1-no-final-newline", V1_HEADERS, False))
#: v2: all INFERRED. Verifiers published for v2 list hash-method where v1 lists method; failing that, v1's list.
V2_FORMS = (Form("v2", V2_HEADERS, True), Form("v2-no-final-newline", V2_HEADERS, False),
            Form("v2-v1-headers", V1_HEADERS, True), Form("v2-v1-headers-no-final-newline", V1_HEADERS, False))


@dataclass(frozen=True)
class Match:
    """A scheme that verified: which form of the string to sign matched, and the decoded signature."""

    scheme: str
    form: str
    signature: bytes


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names lower-cased (HTTP names are case-insensitive)."""
    return {name.lower(): value for name, value in headers.items()}


def schemes_present(h: Mapping[str, str]) -> tuple[str, ...]:
    """The schemes a push carries a signature for (lower-cased headers), v2 first.

    >>> schemes_present({H_SIGNATURE_V2: "x", H_SIGNATURE: "y"}), schemes_present({"content-type": "a"})
    (('v2', 'v1'), ())
    """
    return tuple(s for s, name in (("v2", H_SIGNATURE_V2), ("v1", H_SIGNATURE)) if h.get(name))


def key_url(h: Mapping[str, str]) -> str:
    """The public key's URL the push names (``MissingSignature`` without one)."""
    url = h.get(H_URL, "").strip()
    if not url:
        raise MissingSignature(f"missing signature header: {H_URL}")
    return url


def check_timestamp(h: Mapping[str, str], now_ms: int, max_age_ms: int) -> int:
    """The signature timestamp (ms) if within ``max_age_ms`` of ``now_ms`` either way; raise if not."""
    raw = h.get(H_TIMESTAMP)
    if not raw:
        raise MissingSignature(f"missing signature header: {H_TIMESTAMP}")
    try:
        sent_ms = int(raw)
    except ValueError:
        raise BadSignature(f"{H_TIMESTAMP} is not epoch milliseconds: {raw!r}") from None
    age = now_ms - sent_ms
    if abs(age) > max_age_ms:
        raise StaleTimestamp(f"signature timestamp is {age / 1000:.1f} s from now (limit {max_age_ms / 1000:g} s)")
    return sent_ms


def verify_v1(url: str, h: Mapping[str, str], body: bytes, key: rsa.RSAPublicKey) -> Match:
    """Scheme v1: recover the per-push secret with ``key``, compare HMAC-SHA1 under each ``V1_FORMS``."""
    _require(h, V1_REQUIRED)
    if h[H_METHOD].upper() != "HMAC-SHA1" or h[H_VERSION] != "1.0":
        raise BadSignature(f"unsupported signature method/version {h[H_METHOD]!r}/{h[H_VERSION]!r}")
    encrypted, signature = _b64(h, H_SECRET), _b64(h, H_SIGNATURE)
    try:
        secret = key.recover_data_from_signature(encrypted, padding.PKCS1v15(), None)
    except (InvalidSignature, ValueError):
        raise BadSignature("the v1 secret was not encrypted with this public key") from None
    for form in V1_FORMS:
        if hmac.compare_digest(hmac.new(secret, form.string(url, h, body), hashlib.sha1).digest(), signature):
            return Match("v1", form.name, signature)
    raise BadSignature("v1 signature does not match the URL, headers and body")


def verify_v2(url: str, h: Mapping[str, str], body: bytes, key: rsa.RSAPublicKey) -> Match:
    """Scheme v2: RSA-SHA256 (PKCS#1 v1.5) signature over each of ``V2_FORMS`` until one verifies."""
    _require(h, V2_REQUIRED)
    if h[H_HASH_METHOD].upper().replace("-", "") != "SHA256":
        raise BadSignature(f"unsupported {H_HASH_METHOD} {h[H_HASH_METHOD]!r} (SHA256 expected)")
    signature = _b64(h, H_SIGNATURE_V2)
    for form in V2_FORMS:
        try:
            key.verify(signature, form.string(url, h, body), padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            continue
        return Match("v2", form.name, signature)
    raise BadSignature("v2 signature does not match the URL, headers and body")


SCHEMES = {"v1": verify_v1, "v2": verify_v2}


def verify_signatures(url: str, h: Mapping[str, str], body: bytes,
                      key: rsa.RSAPublicKey) -> tuple[list[Match], list[WebhookAuthError]]:
    """Every scheme the push carries, checked with ``key``: (those that verified, why the others did not).
    Freshness is not checked here (``check_timestamp``)."""
    matches: list[Match] = []
    failures: list[WebhookAuthError] = []
    for scheme in schemes_present(h):
        try:
            matches.append(SCHEMES[scheme](url, h, body, key))
        except WebhookAuthError as exc:
            failures.append(exc)
    return matches, failures


def verify_push(url: str, headers: Mapping[str, str], body: bytes, public_key_pem: bytes, now_ms: int,
                max_age_ms: int = 60_000) -> list[Match]:
    """Check a push against one known key (PEM): the schemes that verified; raise if none did."""
    h = lower_headers(headers)
    if not schemes_present(h):
        raise MissingSignature(f"missing signature header(s): {H_SIGNATURE_V2} or {H_SIGNATURE} "
                               f"(with {', '.join(V1_REQUIRED[:-1])})")
    check_timestamp(h, now_ms, max_age_ms)
    matches, failures = verify_signatures(url, h, body, load_public_key(public_key_pem))
    if not matches:
        raise failures[0]
    return matches


@lru_cache(maxsize=32)
def load_public_key(pem: bytes) -> rsa.RSAPublicKey:
    """The RSA public key in ``pem``: a PUBLIC KEY, an RSA PUBLIC KEY or an X.509 CERTIFICATE (its key).
    Whether EventBridge serves a bare key or a certificate is UNVERIFIED (its file names say certificate)."""
    try:
        if b"-----BEGIN CERTIFICATE-----" in pem:
            key = x509.load_pem_x509_certificate(pem).public_key()
        else:
            key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise BadKey(f"no PEM public key or certificate could be read: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise BadKey(f"the public key is {type(key).__name__.lstrip('_')}, not RSA")
    return key


def _require(h: Mapping[str, str], names: tuple[str, ...]) -> None:
    absent = [name for name in names if not h.get(name)]
    if absent:
        raise MissingSignature(f"missing signature header(s): {', '.join(absent)}")


def _b64(h: Mapping[str, str], name: str) -> bytes:
    try:
        return base64.b64decode(h[name], validate=True)
    except (binascii.Error, ValueError):
        raise BadSignature(f"{name} is not valid base64") from None
