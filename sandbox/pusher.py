"""EventBridge-style HTTP pusher: delivers CloudEvents envelopes signed as EventBridge does.

Signature (REFERENCE §5): a random secret per push is HMAC-SHA1 key over

    full URL (with query) "\\n"
    "x-eventbridge-signature-timestamp: <ms>\\n"  "x-eventbridge-signature-method: HMAC-SHA1\\n"
    "x-eventbridge-signature-version: 1.0\\n"     "x-eventbridge-signature-url: <public key URL>\\n"
    ["x-eventbridge-signature-token: <token>\\n"]  raw body "\\n"

The secret travels "encrypted with the private key": an RSA private-key operation over the
PKCS#1 v1.5 type-1 padded secret (signature-style), base64, so the receiver recovers it
with the public key (``opsguard.webhook.signature``). ``cryptography`` has no raw private-key
encryption, so the padding and the (CRT) exponentiation are done here on the key's numbers.

CLI: ``python -m sandbox.pusher --url URL --private-key FILE [--token T] EVENT.json...``.
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

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.cli_args import OneLineArgumentParser, fail

__all__ = ["DEFAULT_PUBLIC_KEY_URL", "PushResult", "generate_test_keypair", "main", "push", "sign_push",
           "string_to_sign"]

H_TIMESTAMP = "x-eventbridge-signature-timestamp"
H_METHOD = "x-eventbridge-signature-method"
H_VERSION = "x-eventbridge-signature-version"
H_URL = "x-eventbridge-signature-url"
H_TOKEN = "x-eventbridge-signature-token"
H_SECRET = "x-eventbridge-signature-secret"
H_SIGNATURE = "x-eventbridge-signature"
#: the official headers in string-to-sign order
SIGNED_HEADERS = (H_TIMESTAMP, H_METHOD, H_VERSION, H_URL, H_TOKEN)
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


def string_to_sign(url: str, headers: dict[str, str], body: bytes) -> bytes:
    """URL, the official signature headers present (in order), the raw body, each line-terminated.

    >>> string_to_sign("https://h/p?q=1", {H_METHOD: "HMAC-SHA1", H_TIMESTAMP: "1700000000000"}, b'{}')
    b'https://h/p?q=1\\nx-eventbridge-signature-timestamp: 1700000000000\\nx-eventbridge-signature-method: HMAC-SHA1\\n{}\\n'
    """
    lines = "".join(f"{name}: {headers[name]}\n" for name in SIGNED_HEADERS if name in headers)
    return f"{url}\n{lines}".encode("utf-8") + body + b"\n"


def sign_push(url: str, body: bytes, private_key_pem: bytes, public_key_url: str, token: str | None = None,
              now_ms: int | None = None) -> dict[str, str]:
    """The ``x-eventbridge-signature*`` headers for POSTing ``body`` to ``url``."""
    headers = {H_TIMESTAMP: str(int(time.time() * 1000) if now_ms is None else now_ms),
               H_METHOD: "HMAC-SHA1", H_VERSION: "1.0", H_URL: public_key_url}
    if token is not None:
        headers[H_TOKEN] = token
    secret = secrets.token_hex(16).encode("ascii")
    digest = hmac.new(secret, string_to_sign(url, headers, body), hashlib.sha1).digest()
    headers[H_SECRET] = base64.b64encode(_private_encrypt(private_key_pem, secret)).decode("ascii")
    headers[H_SIGNATURE] = base64.b64encode(digest).decode("ascii")
    return headers


@lru_cache(maxsize=8)
def _private_numbers(private_key_pem: bytes) -> rsa.RSAPrivateNumbers:
    """Parsing a PEM key costs tens of ms: do it once per key, not once per push."""
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the private key is not an RSA key")
    return key.private_numbers()


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
         token: str | None = None, timeout: float = 10.0, now_ms: int | None = None) -> PushResult:
    """POST ``envelope`` as JSON to ``url``, signed; any HTTP status is returned, not raised.

    Network failures raise ``urllib.error.URLError`` (an ``OSError``).
    """
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {"Content-Type": CONTENT_TYPE,
               **sign_push(url, body, private_key_pem, public_key_url, token=token, now_ms=now_ms)}
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
                          token=args.token)
        except OSError as e:
            print(f"{path}: failed: {e}", file=sys.stderr)
            accepted = False
            continue
        print(f"{path}: HTTP {result.status}")
        accepted = accepted and 200 <= result.status < 300
    return 0 if accepted else 1


if __name__ == "__main__":
    raise SystemExit(main())
