"""EventBridge-style HTTP pusher: delivers CloudEvents envelopes signed as EventBridge does, in either
scheme or both (``scheme="v1" | "v2" | "both"``).

The string to sign is the full URL (with query), "\\n", the signature headers present as ``name: value\\n``
in a fixed order, the raw body and (as the reference code does) a final "\\n":

- **v1**: headers timestamp, method (``HMAC-SHA1``), version (``1.0``), url, [token]. A random secret per
  push is the HMAC-SHA1 key; the signature is its base64 in ``x-eventbridge-signature``. The secret travels
  "encrypted with the private key": an RSA private-key operation over the PKCS#1 v1.5 type-1 padded secret
  (signature-style), base64, in ``x-eventbridge-signature-secret``; the receiver recovers it with the
  public key. ``cryptography`` has no raw private-key encryption, so the padding and the (CRT)
  exponentiation are done here on the key's numbers.
- **v2**: headers timestamp, hash-method (``SHA256``), version, url, [token]; the RSA-SHA256 (PKCS#1 v1.5)
  signature's base64 in ``x-eventbridge-signature-v2``. The exact v2 string is not known from the
  documentation: ``v2_form`` picks one of ``V2_FORMS`` (the default is the likeliest), so a receiver can
  be tested against each.

The public key's URL goes in ``x-eventbridge-signature-url``; ``sandbox.eventbridge_keys`` publishes
keys over loopback (``Emulator.eventbridge``).

CLI: ``python -m sandbox.pusher --url URL --private-key FILE [--public-key-url URL] [--scheme v1|v2|both]
[--token T] EVENT.json...``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sandbox.cli_args import OneLineArgumentParser, fail

__all__ = ["DEFAULT_PUBLIC_KEY_URL", "SCHEMES", "V2_FORMS", "PushResult", "generate_test_keypair", "main", "push",
           "sign_push", "string_to_sign"]

H_TIMESTAMP = "x-eventbridge-signature-timestamp"
H_METHOD = "x-eventbridge-signature-method"
H_HASH_METHOD = "x-eventbridge-hash-method"
H_VERSION = "x-eventbridge-signature-version"
H_URL = "x-eventbridge-signature-url"
H_TOKEN = "x-eventbridge-signature-token"
H_SECRET = "x-eventbridge-signature-secret"
H_SIGNATURE = "x-eventbridge-signature"
H_SIGNATURE_V2 = "x-eventbridge-signature-v2"
#: the v1 headers in string-to-sign order
SIGNED_HEADERS = (H_TIMESTAMP, H_METHOD, H_VERSION, H_URL, H_TOKEN)
V2_SIGNED_HEADERS = (H_TIMESTAMP, H_HASH_METHOD, H_VERSION, H_URL, H_TOKEN)
SCHEMES = ("v1", "v2", "both")
#: v1 string forms by name: (headers, final newline); the reference code's is "v1"
V1_FORMS = {"v1": (SIGNED_HEADERS, True), "v1-no-final-newline": (SIGNED_HEADERS, False)}
#: candidate v2 string forms by name: (headers, final newline)
V2_FORMS = {"v2": (V2_SIGNED_HEADERS, True), "v2-no-final-newline": (V2_SIGNED_HEADERS, False),
            "v2-v1-headers": (SIGNED_HEADERS, True), "v2-v1-headers-no-final-newline": (SIGNED_HEADERS, False)}
DEFAULT_PUBLIC_KEY_URL = "https://eventbridge-keys.invalid/opsguard-test-public.pem"
CONTENT_TYPE = "application/json;charset=utf-8"


@dataclass(frozen=True)
class PushResult:
    status: int
    body: bytes


def generate_test_keypair(bits: int = 2048) -> tuple[bytes, bytes]:
    """A fresh RSA key pair as ``(private PEM (PKCS#8), public PEM (SubjectPublicKeyInfo))``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def string_to_sign(url: str, headers: dict[str, str], body: bytes, names: tuple[str, ...] = SIGNED_HEADERS,
                   final_newline: bool = True) -> bytes:
    """URL, the signature headers `names` present (in order), the raw body, each line-terminated.

    >>> string_to_sign("https://h/p?q=1", {H_METHOD: "HMAC-SHA1", H_TIMESTAMP: "1700000000000"}, b'{}')
    b'https://h/p?q=1\\nx-eventbridge-signature-timestamp: 1700000000000\\nx-eventbridge-signature-method: HMAC-SHA1\\n{}\\n'
    """
    lines = "".join(f"{name}: {headers[name]}\n" for name in names if name in headers)
    return f"{url}\n{lines}".encode("utf-8") + body + (b"\n" if final_newline else b"")


def sign_push(url: str, body: bytes, private_key_pem: bytes, public_key_url: str, token: str | None = None,
              now_ms: int | None = None, scheme: str = "v1", v2_form: str = "v2",
              v1_form: str = "v1") -> dict[str, str]:
    """The ``x-eventbridge-*`` signature headers for POSTing ``body`` to ``url`` in ``scheme`` (v1, v2, both)."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, not {scheme!r}")
    headers = {H_TIMESTAMP: str(int(time.time() * 1000) if now_ms is None else now_ms), H_VERSION: "1.0",
               H_URL: public_key_url}
    if scheme in ("v1", "both"):
        headers[H_METHOD] = "HMAC-SHA1"
    if scheme in ("v2", "both"):
        headers[H_HASH_METHOD] = "SHA256"
    if token is not None:
        headers[H_TOKEN] = token
    signed = dict(headers)
    if scheme in ("v1", "both"):
        names, newline = V1_FORMS[v1_form]
        secret = secrets.token_hex(16).encode("ascii")
        digest = hmac.new(secret, string_to_sign(url, signed, body, names, newline), hashlib.sha1).digest()
        headers[H_SECRET] = base64.b64encode(_private_encrypt(private_key_pem, secret)).decode("ascii")
        headers[H_SIGNATURE] = base64.b64encode(digest).decode("ascii")
    if scheme in ("v2", "both"):
        names, newline = V2_FORMS[v2_form]
        signature = _private_key(private_key_pem).sign(string_to_sign(url, signed, body, names, newline),
                                                       padding.PKCS1v15(), hashes.SHA256())
        headers[H_SIGNATURE_V2] = base64.b64encode(signature).decode("ascii")
    return headers


@lru_cache(maxsize=8)
def _private_key(private_key_pem: bytes) -> rsa.RSAPrivateKey:
    """Parsing a PEM key costs tens of ms: do it once per key, not once per push."""
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the private key is not an RSA key")
    return key


@lru_cache(maxsize=8)
def _private_numbers(private_key_pem: bytes) -> rsa.RSAPrivateNumbers:
    return _private_key(private_key_pem).private_numbers()


def _private_encrypt(private_key_pem: bytes, message: bytes) -> bytes:
    """RSA private-key operation over PKCS#1 v1.5 type-1 padding (what "encrypt with the private key" means)."""
    numbers = _private_numbers(private_key_pem)
    n = numbers.public_numbers.n
    size = (n.bit_length() + 7) // 8
    if len(message) > size - 11:
        raise ValueError("the secret is too long for the key")
    padded = b"\x00\x01" + b"\xff" * (size - 3 - len(message)) + b"\x00" + message
    c = int.from_bytes(padded, "big")
    m1 = pow(c, numbers.dmp1, numbers.p)  # CRT: two half-size exponentiations
    m2 = pow(c, numbers.dmq1, numbers.q)
    h = (numbers.iqmp * (m1 - m2)) % numbers.p
    return (m2 + h * numbers.q).to_bytes(size, "big")


def push(url: str, envelope: dict, *, private_key_pem: bytes, public_key_url: str = DEFAULT_PUBLIC_KEY_URL,
         token: str | None = None, timeout: float = 10.0, now_ms: int | None = None, scheme: str = "v1",
         v2_form: str = "v2") -> PushResult:
    """POST ``envelope`` as JSON to ``url``, signed in ``scheme``; any HTTP status is returned, not raised.

    Network failures raise ``urllib.error.URLError`` (an ``OSError``).
    """
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {"Content-Type": CONTENT_TYPE,
               **sign_push(url, body, private_key_pem, public_key_url, token=token, now_ms=now_ms, scheme=scheme,
                          v2_form=v2_form)}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (URL given by the caller)
            return PushResult(response.status, response.read())
    except urllib.error.HTTPError as e:
        return PushResult(e.code, e.read())


def main(argv: list[str] | None = None) -> int:
    """CLI: push each event file; exit 0 if all were accepted (2xx), 1 if not, 2 on bad input."""
    prog = "python -m sandbox.pusher"
    parser = OneLineArgumentParser(prog=prog, description="Push signed CloudEvents to a webhook, as EventBridge.")
    parser.add_argument("--url", required=True, help="webhook URL (with query string, if any)")
    parser.add_argument("--private-key", required=True, help="RSA private key PEM of the test 'EventBridge'")
    parser.add_argument("--public-key-url", default=DEFAULT_PUBLIC_KEY_URL)
    parser.add_argument("--token", help="x-eventbridge-signature-token")
    parser.add_argument("--scheme", choices=SCHEMES, default="v1", help="signature scheme(s) to send")
    parser.add_argument("events", nargs="+", metavar="EVENT.json")
    args = parser.parse_args(argv)
    try:
        key = Path(args.private_key).read_bytes()
        serialization.load_pem_private_key(key, password=None)
    except (OSError, ValueError, TypeError) as e:
        fail(prog, f"--private-key {args.private_key}: {e}")
    envelopes = []
    for path in args.events:
        try:
            envelopes.append((path, json.loads(Path(path).read_text(encoding="utf-8"))))
        except (OSError, ValueError) as e:
            fail(prog, f"{path}: {e}")
    accepted = True
    for path, envelope in envelopes:
        try:
            result = push(args.url, envelope, private_key_pem=key, public_key_url=args.public_key_url,
                          token=args.token, scheme=args.scheme)
        except OSError as e:
            print(f"{path}: failed: {e}", file=sys.stderr)
            accepted = False
            continue
        print(f"{path}: HTTP {result.status}")
        accepted = accepted and 200 <= result.status < 300
    return 0 if accepted else 1


if __name__ == "__main__":
    raise SystemExit(main())
