"""The sandbox "EventBridge"'s signing keys, published over loopback as the real ones are over HTTPS.

EventBridge names the key of each push in ``x-eventbridge-signature-url``; the real files are
``https://<region>-eventbridge.oss-accelerate.aliyuncs.com/x509_public_certificate_<...>.pem``. Here the
emulator publishes each key pair's certificate (or bare public key) under its own URL, and the pusher
signs with the current private key and names its URL::

    key = emulator.eventbridge.current            # a SigningKey: private_pem, public_pem, url
    push(url, envelope, private_key_pem=key.private_pem, public_key_url=key.url, scheme="v2")

``rotate()`` makes a new pair at a new URL (the old file stays published, as a real rotation would leave
it for pushes in flight); ``replace_in_place()`` puts a new pair at the current URL (a rotation a receiver
can only notice by fetching again). ``fetches`` counts the GETs of each file.
"""

from __future__ import annotations

import datetime
import threading
from collections import Counter
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

__all__ = ["EventBridgeKeys", "SigningKey", "make_signing_pair"]

FILE_PREFIX = "x509_public_certificate_"


@dataclass(frozen=True)
class SigningKey:
    """One published key pair: the private PEM signs, `public_pem` is what `url` serves."""

    name: str
    private_pem: bytes
    public_pem: bytes
    url: str


def make_signing_pair(bits: int = 2048, certificate: bool = True) -> tuple[bytes, bytes]:
    """``(private PEM, published PEM)``: a new RSA pair; published as a self-signed X.509 certificate, or as
    a bare SubjectPublicKeyInfo key with ``certificate=False``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    if not certificate:
        return private, key.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sandbox eventbridge")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    return private, cert.public_bytes(serialization.Encoding.PEM)


class EventBridgeKeys:
    """Key pairs published under ``base_url`` (thread-safe; the first pair is made on first use).

    >>> keys = EventBridgeKeys("http://127.0.0.1:9/_emulator/eventbridge", bits=1024)
    >>> first = keys.current
    >>> first.url
    'http://127.0.0.1:9/_emulator/eventbridge/x509_public_certificate_1.pem'
    >>> second = keys.rotate()
    >>> second.url.endswith("_2.pem"), keys.published(first.name) == first.public_pem
    (True, True)
    """

    def __init__(self, base_url: str, *, bits: int = 2048, certificate: bool = True):
        self.base_url = base_url.rstrip("/")
        self._bits, self._certificate = bits, certificate
        self._files: dict[str, SigningKey] = {}
        self._current: SigningKey | None = None
        self._serial = 0
        self._lock = threading.Lock()
        self.fetches: Counter[str] = Counter()

    @property
    def current(self) -> SigningKey:
        """The pair that signs now."""
        with self._lock:
            if self._current is None:
                self._current = self._new(self._next_name())
            return self._current

    def rotate(self) -> SigningKey:
        """A new pair under a new file name; it signs from now on (older files stay published)."""
        with self._lock:
            self._current = self._new(self._next_name())
            return self._current

    def replace_in_place(self) -> SigningKey:
        """A new pair published under the current file name (the old public key is gone)."""
        with self._lock:
            name = self._current.name if self._current else self._next_name()
            self._current = self._new(name)
            return self._current

    def published(self, name: str) -> bytes | None:
        """What the file `name` serves (None: no such file); counts the fetch."""
        with self._lock:
            key = self._files.get(name)
            if key is not None:
                self.fetches[name] += 1
            return key.public_pem if key else None

    def _next_name(self) -> str:
        self._serial += 1
        return f"{FILE_PREFIX}{self._serial}.pem"

    def _new(self, name: str) -> SigningKey:
        private, public = make_signing_pair(self._bits, self._certificate)
        key = SigningKey(name, private, public, f"{self.base_url}/{name}")
        self._files[name] = key
        return key
