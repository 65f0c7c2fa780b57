"""sandbox.emulator verifies ACS3-HMAC-SHA256 signatures the way the API gateway does.

Raw requests here are signed by the SDK's own signing code (``Utils.get_authorization``),
so the verifier is checked against the real signer, not against itself.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import time
import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from alibabacloud_dataworks_public20200518 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.utils import Utils

from sandbox.acs_signature import authorization_header

AK, SECRET = "test-ak", "test-secret"


def signed_request(endpoint: str, action: str, form: dict, query: dict | None = None, *, secret: str = SECRET,
                   date: datetime | None = None, nonce: str | None = None) -> tuple[dict, bytes, str]:
    """Headers, body and target of an RPC call signed exactly as the SDK signs it."""
    body = urlencode(form).encode()
    headers = {
        "host": endpoint, "x-acs-version": "2020-05-18", "x-acs-action": action,
        "user-agent": "test", "accept": "application/json",
        "x-acs-date": (date or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "content-type": "application/x-www-form-urlencoded",
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
    }
    query = query or {}
    request = SimpleNamespace(pathname="/", method="POST", query=query, headers=headers)
    headers["Authorization"] = Utils.get_authorization(request, "ACS3-HMAC-SHA256", headers["x-acs-content-sha256"],
                                                       AK, secret)
    return headers, body, "/" + ("?" + urlencode(query) if query else "")


def send(emulator, headers: dict, body: bytes, target: str = "/") -> tuple[int, dict]:
    conn = http.client.HTTPConnection(emulator.endpoint, timeout=10)
    try:
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


FORM = {"ProjectId": "215001", "ProjectEnv": "PROD", "PageNumber": "1", "PageSize": "5"}


def test_a_request_signed_by_the_sdk_signer_is_accepted_with_query_and_form(emulator):
    headers, body, target = signed_request(emulator.endpoint, "ListNodes", FORM, {"Tag": "a b+c~d/é"})
    status, reply = send(emulator, headers, body, target)
    assert status == 200 and reply["Data"]["TotalCount"] > 0


def test_wrong_secret_is_signature_does_not_match(emulator, sdk):
    with pytest.raises(ClientException) as info:
        sdk(emulator, secret="wrong").list_projects(m.ListProjectsRequest())
    assert (info.value.status_code, info.value.code) == (400, "SignatureDoesNotMatch")


def test_unknown_access_key_is_not_found(emulator, sdk):
    with pytest.raises(ClientException) as info:
        sdk(emulator, access_key_id="nobody").list_projects(m.ListProjectsRequest())
    assert (info.value.status_code, info.value.code) == (404, "InvalidAccessKeyId.NotFound")


def test_tampered_body_is_rejected(emulator):
    headers, body, _ = signed_request(emulator.endpoint, "ListNodes", FORM)
    tampered = body.replace(b"PageSize=5", b"PageSize=6")
    status, reply = send(emulator, headers, tampered)
    assert (status, reply["Code"]) == (400, "SignatureDoesNotMatch")
    headers["x-acs-content-sha256"] = hashlib.sha256(tampered).hexdigest()  # hash fixed, signature not
    status, reply = send(emulator, headers, tampered)
    assert (status, reply["Code"]) == (400, "SignatureDoesNotMatch")
    assert set(reply) == {"Code", "Message", "RequestId"}


def test_tampered_query_is_rejected(emulator):
    headers, body, target = signed_request(emulator.endpoint, "ListNodes", FORM, {"Tag": "x"})
    status, reply = send(emulator, headers, body, target.replace("Tag=x", "Tag=y"))
    assert (status, reply["Code"]) == (400, "SignatureDoesNotMatch")


def test_a_replayed_nonce_is_rejected(emulator):
    headers, body, _ = signed_request(emulator.endpoint, "ListNodes", FORM)
    assert send(emulator, headers, body)[0] == 200
    status, reply = send(emulator, headers, body)
    assert (status, reply["Code"]) == (400, "SignatureNonceUsed")


@pytest.mark.parametrize("skew", [timedelta(minutes=-16), timedelta(minutes=16)])
def test_a_date_more_than_15_minutes_off_is_expired(emulator, skew):
    headers, body, _ = signed_request(emulator.endpoint, "ListNodes", FORM, date=datetime.now(timezone.utc) + skew)
    status, reply = send(emulator, headers, body)
    assert (status, reply["Code"]) == (400, "InvalidTimeStamp.Expired")


def test_a_date_14_minutes_old_is_still_accepted(emulator):
    headers, body, _ = signed_request(emulator.endpoint, "ListNodes", FORM,
                                      date=datetime.now(timezone.utc) - timedelta(minutes=14))
    assert send(emulator, headers, body)[0] == 200


def test_missing_or_incomplete_signatures_are_rejected(emulator):
    headers, body, _ = signed_request(emulator.endpoint, "ListNodes", FORM)
    no_auth = {k: v for k, v in headers.items() if k != "Authorization"}
    assert send(emulator, no_auth, body)[1]["Code"] == "IncompleteSignature"
    bad_algorithm = {**headers, "Authorization": headers["Authorization"].replace("ACS3-HMAC-SHA256", "ACS3-X")}
    assert send(emulator, bad_algorithm, body)[1]["Code"] == "IncompleteSignature"
    unsigned_nonce = dict(headers)
    del unsigned_nonce["x-acs-signature-nonce"]
    unsigned_nonce["Authorization"] = authorization_header("POST", "/", {}, unsigned_nonce, AK, SECRET)
    status, reply = send(emulator, unsigned_nonce, body)
    assert (status, reply["Code"]) == (400, "IncompleteSignature")
    assert "x-acs-signature-nonce" in reply["Message"]


def test_rejected_requests_are_counted_and_not_served(emulator, sdk):
    with pytest.raises(ClientException):
        sdk(emulator, secret="wrong").list_projects(m.ListProjectsRequest())
    stats = emulator.stats()
    assert (stats["rejected"], stats["served"]) == (1, 0)


def test_verification_is_cheap():
    from sandbox.acs_signature import SignatureVerifier

    headers, body, _ = signed_request("127.0.0.1:1", "ListNodes", FORM)
    lowered = {k.lower(): [v] for k, v in headers.items()}
    verifier = SignatureVerifier({AK: SECRET})
    start = time.perf_counter()
    for k in range(200):
        lowered["x-acs-signature-nonce"] = [f"n{k}"]
        try:
            verifier.verify("POST", "/", {}, lowered, body)
        except Exception:
            pass  # the nonce change breaks the signature: the full check still runs
    assert (time.perf_counter() - start) / 200 < 0.001


def test_nonces_are_forgotten_once_their_date_would_be_rejected_anyway():
    from sandbox.acs_signature import SignatureVerifier

    now = [datetime.now(timezone.utc).timestamp()]
    verifier = SignatureVerifier({AK: SECRET}, clock=lambda: now[0])
    headers, body, _ = signed_request("h", "ListNodes", FORM, nonce="n-1")
    lowered = {k.lower(): [v] for k, v in headers.items()}
    verifier.verify("POST", "/", {}, lowered, body)
    with pytest.raises(Exception, match="SignatureNonceUsed"):
        verifier.verify("POST", "/", {}, lowered, body)
    now[0] += 16 * 60
    with pytest.raises(Exception, match="InvalidTimeStamp.Expired"):
        verifier.verify("POST", "/", {}, lowered, body)
    other, body2, _ = signed_request("h", "ListNodes", FORM, nonce="n-2",
                                     date=datetime.fromtimestamp(now[0], timezone.utc))
    verifier.verify("POST", "/", {}, {k.lower(): [v] for k, v in other.items()}, body2)
    assert list(verifier._nonces) == ["n-2"]
