"""opsguard.webhook.signature: EventBridge push signatures verify; tampering, wrong keys and old pushes do not."""

from __future__ import annotations

import base64
import json

import pytest

from opsguard.webhook.signature import BadSignature, MissingSignature, StaleTimestamp, WebhookAuthError, verify_push
from sandbox.pusher import generate_test_keypair, sign_push

URL = "https://opsguard.example.com/events?source=eventbridge&x=1"
KEY_URL = "https://eventbridge-keys.invalid/test.pem"
NOW = 1_795_000_000_000
BODY = json.dumps({"id": "6f1c2a40", "data": {"eventCode": "freeze-node", "nodeIds": [700000000101]}}).encode()


@pytest.fixture(scope="module")
def keys() -> tuple[bytes, bytes]:
    return generate_test_keypair()


@pytest.fixture(scope="module")
def other_keys() -> tuple[bytes, bytes]:
    return generate_test_keypair()


def signed(keys, token=None, now=NOW, body=BODY, url=URL) -> dict[str, str]:
    return sign_push(url, body, keys[0], KEY_URL, token=token, now_ms=now)


@pytest.mark.parametrize("token", [None, "s3cret-token"])
def test_a_signed_push_verifies(keys, token):
    headers = signed(keys, token)
    assert headers["x-eventbridge-signature-method"] == "HMAC-SHA1"
    assert headers["x-eventbridge-signature-version"] == "1.0"
    assert ("x-eventbridge-signature-token" in headers) == (token is not None)
    verify_push(URL, headers, BODY, keys[1], now_ms=NOW + 1_000)


def test_header_names_are_case_insensitive(keys):
    headers = {name.upper(): value for name, value in signed(keys, "t").items()}
    verify_push(URL, headers, BODY, keys[1], now_ms=NOW)


def test_each_push_gets_a_new_secret(keys):
    a, b = signed(keys), signed(keys)
    assert a["x-eventbridge-signature-secret"] != b["x-eventbridge-signature-secret"]
    assert a["x-eventbridge-signature"] != b["x-eventbridge-signature"]


@pytest.mark.parametrize("what", ["body", "url", "query", "timestamp", "token", "key-url"])
def test_tampering_with_anything_signed_is_a_bad_signature(keys, what):
    headers, body, url = signed(keys, "tok"), BODY, URL
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
    else:
        headers["x-eventbridge-signature-url"] = "https://elsewhere.invalid/k.pem"
    with pytest.raises(BadSignature):
        verify_push(url, headers, body, keys[1], now_ms=NOW)


def test_a_push_signed_with_another_key_is_a_bad_signature(keys, other_keys):
    with pytest.raises(BadSignature, match="pinned key"):
        verify_push(URL, signed(other_keys), BODY, keys[1], now_ms=NOW)


def test_a_forged_secret_without_the_private_key_is_a_bad_signature(keys):
    headers = signed(keys)
    headers["x-eventbridge-signature-secret"] = base64.b64encode(b"\x01" * 256).decode()
    with pytest.raises(BadSignature):
        verify_push(URL, headers, BODY, keys[1], now_ms=NOW)


@pytest.mark.parametrize("offset", [60_001, -60_001, 3_600_000])
def test_pushes_older_than_60_s_or_from_the_future_are_stale(keys, offset):
    with pytest.raises(StaleTimestamp):
        verify_push(URL, signed(keys), BODY, keys[1], now_ms=NOW + offset)
    verify_push(URL, signed(keys), BODY, keys[1], now_ms=NOW + offset, max_age_ms=abs(offset))


@pytest.mark.parametrize("header", ["x-eventbridge-signature-timestamp", "x-eventbridge-signature-method",
                                    "x-eventbridge-signature-version", "x-eventbridge-signature-url",
                                    "x-eventbridge-signature-secret", "x-eventbridge-signature"])
def test_missing_headers_are_named(keys, header):
    headers = signed(keys)
    del headers[header]
    with pytest.raises(MissingSignature, match=header):
        verify_push(URL, headers, BODY, keys[1], now_ms=NOW)


def test_no_headers_at_all_is_missing_signature(keys):
    with pytest.raises(MissingSignature):
        verify_push(URL, {"content-type": "application/json"}, BODY, keys[1], now_ms=NOW)


@pytest.mark.parametrize("header,value", [("x-eventbridge-signature-timestamp", "yesterday"),
                                          ("x-eventbridge-signature", "not base64!"),
                                          ("x-eventbridge-signature-method", "HMAC-MD5")])
def test_malformed_values_are_bad_signatures(keys, header, value):
    headers = signed(keys)
    headers[header] = value
    with pytest.raises(BadSignature):
        verify_push(URL, headers, BODY, keys[1], now_ms=NOW)


def test_all_failures_share_one_base_class():
    assert all(issubclass(e, WebhookAuthError) for e in (BadSignature, MissingSignature, StaleTimestamp))
