"""opsguard.webhook.signature: both EventBridge signature schemes verify; tampering, wrong keys and old pushes do not."""

from __future__ import annotations

import base64
import json

import pytest

from opsguard.webhook.signature import (V2_FORMS, BadKey, BadSignature, MissingSignature, StaleTimestamp,
                                    WebhookAuthError, load_public_key, verify_push)
from sandbox.eventbridge_keys import make_signing_pair
from sandbox.pusher import generate_test_keypair, sign_push

URL = "https://opsguard.example.com/events?source=eventbridge&x=1"
KEY_URL = "https://eventbridge-keys.invalid/test.pem"
NOW = 1_795_000_000_000
BODY = json.dumps({"id": "6f1c2a40", "data": {"eventCode": "freeze-node", "nodeIds": [700000000101]}}).encode()
SCHEMES = ("v1", "v2", "both")


@pytest.fixture(scope="module")
def keys() -> tuple[bytes, bytes]:
    return generate_test_keypair()


@pytest.fixture(scope="module")
def other_keys() -> tuple[bytes, bytes]:
    return generate_test_keypair()


def signed(keys, token=None, now=NOW, body=BODY, url=URL, scheme="v1", **kwargs) -> dict[str, str]:
    return sign_push(url, body, keys[0], KEY_URL, token=token, now_ms=now, scheme=scheme, **kwargs)


def schemes(matches) -> set[str]:
    return {m.scheme for m in matches}


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("token", [None, "s3cret-token"])
def test_a_signed_push_verifies_in_either_scheme_or_both(keys, token, scheme):
    headers = signed(keys, token, scheme=scheme)
    assert ("x-eventbridge-signature-token" in headers) == (token is not None)
    assert ("x-eventbridge-signature" in headers) == (scheme != "v2")
    assert ("x-eventbridge-signature-v2" in headers) == (scheme != "v1")
    matches = verify_push(URL, headers, BODY, keys[1], now_ms=NOW + 1_000)
    assert schemes(matches) == ({"v1", "v2"} if scheme == "both" else {scheme})


def test_v1_headers_are_the_documented_ones(keys):
    headers = signed(keys)
    assert headers["x-eventbridge-signature-method"] == "HMAC-SHA1"
    assert headers["x-eventbridge-signature-version"] == "1.0"
    assert len(base64.b64decode(headers["x-eventbridge-signature"])) == 20        # HMAC-SHA1


def test_v2_headers_carry_the_hash_method_and_an_rsa_signature(keys):
    headers = signed(keys, scheme="v2")
    assert headers["x-eventbridge-hash-method"] == "SHA256"
    assert "x-eventbridge-signature-method" not in headers and "x-eventbridge-signature-secret" not in headers
    assert len(base64.b64decode(headers["x-eventbridge-signature-v2"])) == 256    # RSA-2048


@pytest.mark.parametrize("form", [f.name for f in V2_FORMS])
def test_every_candidate_v2_string_to_sign_verifies_and_says_which_matched(keys, form):
    headers = signed(keys, "tok", scheme="v2", v2_form=form)
    [match] = verify_push(URL, headers, BODY, keys[1], now_ms=NOW)
    assert (match.scheme, match.form) == ("v2", form)


def test_v1_without_the_final_newline_verifies_as_the_documented_formula(keys):
    [match] = verify_push(URL, signed(keys, v1_form="v1-no-final-newline"), BODY, keys[1], now_ms=NOW)
    assert match.form == "v1-no-final-newline"
    [match] = verify_push(URL, signed(keys), BODY, keys[1], now_ms=NOW)
    assert match.form == "v1"


def test_header_names_are_case_insensitive(keys):
    for scheme in SCHEMES:
        headers = {name.upper(): value for name, value in signed(keys, "t", scheme=scheme).items()}
        verify_push(URL, headers, BODY, keys[1], now_ms=NOW)


def test_each_push_gets_a_new_secret(keys):
    a, b = signed(keys), signed(keys)
    assert a["x-eventbridge-signature-secret"] != b["x-eventbridge-signature-secret"]
    assert a["x-eventbridge-signature"] != b["x-eventbridge-signature"]


@pytest.mark.parametrize("scheme", ["v1", "v2"])
@pytest.mark.parametrize("what", ["body", "url", "query", "timestamp", "token", "key-url", "version"])
def test_tampering_with_anything_signed_is_a_bad_signature(keys, what, scheme):
    headers, body, url = signed(keys, "tok", scheme=scheme), BODY, URL
    if what == "body":
        body = BODY.replace(b"700000000101", b"700000000102")
    elif what == "url":
        url = URL.replace("opsguard", "evil")
    elif what == "query":
        url = URL.replace("x=1", "x=2")
    elif what == "timestamp":
        headers["x-eventbridge-signature-timestamp"] = str(NOW + 5)
    elif what == "token":
        headers["x-eventbridge-signature-token"] = "other"
    elif what == "version":
        headers["x-eventbridge-signature-version"] = "1.0 " if scheme == "v2" else "1.1"
    else:
        headers["x-eventbridge-signature-url"] = "https://elsewhere.invalid/k.pem"
    with pytest.raises(BadSignature):
        verify_push(url, headers, body, keys[1], now_ms=NOW)


@pytest.mark.parametrize("scheme", ["v1", "v2"])
def test_a_push_signed_with_another_key_is_a_bad_signature(keys, other_keys, scheme):
    with pytest.raises(BadSignature, match="this public key" if scheme == "v1" else "v2 signature does not match"):
        verify_push(URL, signed(other_keys, scheme=scheme), BODY, keys[1], now_ms=NOW)


def test_a_forged_v1_secret_without_the_private_key_is_a_bad_signature(keys):
    headers = signed(keys)
    headers["x-eventbridge-signature-secret"] = base64.b64encode(b"\x01" * 256).decode()
    with pytest.raises(BadSignature):
        verify_push(URL, headers, BODY, keys[1], now_ms=NOW)


@pytest.mark.parametrize("forged", [b"\x01" * 256, b"\x00" * 255, b"", b"\xff" * 300])
def test_a_forged_v2_signature_is_a_bad_signature(keys, forged):
    headers = signed(keys, scheme="v2")
    headers["x-eventbridge-signature-v2"] = base64.b64encode(forged).decode() or "AA=="
    with pytest.raises(BadSignature):
        verify_push(URL, headers, BODY, keys[1], now_ms=NOW)


def test_one_forged_scheme_beside_a_good_one_still_verifies_by_the_good_one(keys):
    headers = signed(keys, scheme="both")
    headers["x-eventbridge-signature-v2"] = base64.b64encode(b"\x01" * 256).decode()
    assert schemes(verify_push(URL, headers, BODY, keys[1], now_ms=NOW)) == {"v1"}


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("offset", [60_001, -60_001, 3_600_000])
def test_pushes_older_than_60_s_or_from_the_future_are_stale(keys, offset, scheme):
    with pytest.raises(StaleTimestamp):
        verify_push(URL, signed(keys, scheme=scheme), BODY, keys[1], now_ms=NOW + offset)
    verify_push(URL, signed(keys, scheme=scheme), BODY, keys[1], now_ms=NOW + offset, max_age_ms=abs(offset))


@pytest.mark.parametrize("scheme, header", [
    ("v1", "x-eventbridge-signature-timestamp"), ("v1", "x-eventbridge-signature-method"),
    ("v1", "x-eventbridge-signature-version"), ("v1", "x-eventbridge-signature-url"),
    ("v1", "x-eventbridge-signature-secret"), ("v1", "x-eventbridge-signature"),
    ("v2", "x-eventbridge-signature-timestamp"), ("v2", "x-eventbridge-hash-method"),
    ("v2", "x-eventbridge-signature-url"), ("v2", "x-eventbridge-signature-v2")])
def test_missing_headers_are_named(keys, scheme, header):
    headers = signed(keys, scheme=scheme)
    del headers[header]
    with pytest.raises(MissingSignature, match=header):
        verify_push(URL, headers, BODY, keys[1], now_ms=NOW)


def test_no_headers_at_all_is_missing_signature(keys):
    with pytest.raises(MissingSignature, match="x-eventbridge-signature-v2 or x-eventbridge-signature"):
        verify_push(URL, {"content-type": "application/json"}, BODY, keys[1], now_ms=NOW)


@pytest.mark.parametrize("scheme, header, value", [
    ("v1", "x-eventbridge-signature-timestamp", "yesterday"), ("v1", "x-eventbridge-signature", "not base64!"),
    ("v1", "x-eventbridge-signature-method", "HMAC-MD5"), ("v2", "x-eventbridge-hash-method", "MD5"),
    ("v2", "x-eventbridge-signature-v2", "not base64!")])
def test_malformed_values_are_bad_signatures(keys, scheme, header, value):
    headers = signed(keys, scheme=scheme)
    headers[header] = value
    with pytest.raises(BadSignature):
        verify_push(URL, headers, BODY, keys[1], now_ms=NOW)


def test_a_certificate_pem_serves_as_the_public_key():
    private, certificate = make_signing_pair(certificate=True)
    assert b"BEGIN CERTIFICATE" in certificate
    for scheme in SCHEMES:
        verify_push(URL, sign_push(URL, BODY, private, KEY_URL, now_ms=NOW, scheme=scheme), BODY, certificate, NOW)


@pytest.mark.parametrize("pem, why", [(b"hello", "no PEM public key"),
                                      (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "no PEM")])
def test_what_is_no_rsa_public_key_is_a_bad_key(pem, why):
    with pytest.raises(BadKey, match=why):
        load_public_key(pem)


def test_an_ec_key_is_a_bad_key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(BadKey, match="not RSA"):
        load_public_key(pem)


def test_all_failures_share_one_base_class():
    from opsguard.webhook.signature import KeyUnavailable, UntrustedKeyUrl

    assert all(issubclass(e, WebhookAuthError)
               for e in (BadSignature, MissingSignature, StaleTimestamp, BadKey, KeyUnavailable, UntrustedKeyUrl))
