"""EventBridge push signatures end to end: a real server (uvicorn on loopback) judging pushes signed in either
scheme, with the key fetched from the emulator's loopback key URL (the emulator is DataWorks, too)."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest

from opsguard.webhook.keys import OFFICIAL_KEY_URLS, KeyFetcher
from opsguard.webhook.auth import SignatureAuth
from sandbox.eventbridge_keys import make_signing_pair
from sandbox.pusher import sign_push
from tests.service.conftest import Pusher, reported, sample, wait_for, wait_reported
from tests.service.test_signature_auth import respellings

LOOPBACK_KEYS = ("http://127.0.0.1:*",)
SCHEMES = ("v1", "v2", "both")
SIGNATURE_HEADER = {"v1": "x-eventbridge-signature", "v2": "x-eventbridge-signature-v2"}


@pytest.fixture
def fetching_server(start_server, emulator):
    """Start a server whose key comes from the URL each push names (allow-list: loopback http, unless given)."""

    def start(key_urls: tuple[str, ...] = LOOPBACK_KEYS, token: str | None = None, **fetcher: Any) -> Any:
        return start_server(auth=SignatureAuth(KeyFetcher(key_urls, **fetcher), token=token))

    return start


def pusher(server: Any, emulator: Any, scheme: str) -> Pusher:
    """Pushes signed with the emulator's current EventBridge key, naming its URL."""
    key = emulator.eventbridge.current
    return Pusher(server.url, key.private_pem, key_url=key.url, scheme=scheme)


def refused(response: Any, status: int, reason: str) -> str:
    assert response.status_code == status, response.text
    assert response.json()["error"] == reason, response.text
    return response.json()["detail"]


def test_pushes_in_either_scheme_are_judged_and_reported_with_one_key_fetch(fetching_server, emulator):
    server = fetching_server()
    events = {scheme: sample("freeze-node", fresh=True) for scheme in SCHEMES}
    for scheme, event in events.items():
        assert pusher(server, emulator, scheme).push(event).status_code == 202, scheme
    results = wait_reported(emulator, [e["id"] for e in events.values()], server=server)
    assert all(r[0]["CheckResult"] == "FAIL" for r in results.values())
    assert dict(emulator.eventbridge.fetches) == {emulator.eventbridge.current.name: 1}


@pytest.mark.parametrize("scheme", SCHEMES)
def test_forged_pushes_are_401_and_never_judged(fetching_server, emulator, scheme):
    server = fetching_server()
    genuine = pusher(server, emulator, scheme)
    attacker_key, _ = make_signing_pair(bits=2048, certificate=False)
    forger = Pusher(server.url, attacker_key, key_url=emulator.eventbridge.current.url, scheme=scheme)
    own_key = forger.push(sample("freeze-node", fresh=True))          # names the real key URL, signs with its own
    event = sample("freeze-node", fresh=True)
    body = genuine.body(event)
    tampered = genuine.post(body.replace(b"700000000101", b"700000000102"), genuine.signed_headers(body))
    for answer in (own_key, tampered):
        assert "BadSignature" in refused(answer, 401, "unauthenticated")
    good = sample("undeploy-node", fresh=True)
    assert genuine.push(good).status_code == 202
    wait_reported(emulator, [good["id"]], server=server)
    assert [r["MessageId"] for r in emulator.results] == [good["id"]]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_expired_pushes_are_401_before_any_key_fetch(fetching_server, emulator, scheme):
    server = fetching_server()
    answer = pusher(server, emulator, scheme).push(sample("freeze-node", fresh=True),
                                                   now_ms=int(time.time() * 1000) - 120_000)
    assert "StaleTimestamp" in refused(answer, 401, "unauthenticated")
    assert sum(emulator.eventbridge.fetches.values()) == 0


@pytest.mark.parametrize("scheme", ["v1", "v2"])
def test_a_replay_is_409_in_any_base64_spelling_and_reported_once(fetching_server, emulator, scheme):
    server = fetching_server()
    p = pusher(server, emulator, scheme)
    event = sample("freeze-node", fresh=True)
    body = p.body(event)
    headers = p.signed_headers(body)
    assert p.post(body, headers).status_code == 202
    header = SIGNATURE_HEADER[scheme]
    for spelling in [headers[header], *respellings(headers[header])]:
        refused(p.post(body, {**headers, header: spelling}), 409, "replay")
    wait_reported(emulator, [event["id"]], server=server)
    wait_for(lambda: server.service.store.backlog() == {"accepted": 0, "judged": 0}, what="nothing left to do")
    assert len(reported(emulator, [event["id"]])[event["id"]]) == 1


def test_a_push_signed_both_ways_cannot_be_replayed_as_one(fetching_server, emulator):
    server = fetching_server()
    p = pusher(server, emulator, "both")
    body = p.body(sample("freeze-node", fresh=True))
    headers = p.signed_headers(body)
    assert p.post(body, headers).status_code == 202
    only_v1 = {k: v for k, v in headers.items() if k != "x-eventbridge-signature-v2"}
    v1_only = ("x-eventbridge-signature", "x-eventbridge-signature-secret")
    only_v2 = {k: v for k, v in headers.items() if k not in v1_only}
    for stripped in (only_v1, only_v2):
        refused(p.post(body, stripped), 409, "replay")


def test_a_key_url_outside_the_allow_list_is_401_naming_its_host_and_not_fetched(fetching_server, emulator):
    official_only = fetching_server(OFFICIAL_KEY_URLS)
    answer = pusher(official_only, emulator, "v2").push(sample("freeze-node", fresh=True))
    assert "key URL host '127.0.0.1' (http)" in refused(answer, 401, "unauthenticated")
    loopback = fetching_server()
    key = emulator.eventbridge.current
    elsewhere = Pusher(loopback.url, key.private_pem, key_url=key.url.replace("127.0.0.1", "localhost"), scheme="v1")
    assert "'localhost'" in refused(elsewhere.push(sample("freeze-node", fresh=True)), 401, "unauthenticated")
    assert sum(emulator.eventbridge.fetches.values()) == 0


def test_a_rotated_key_at_a_new_url_is_fetched_once_and_both_keys_verify(fetching_server, emulator):
    server = fetching_server()
    keys = emulator.eventbridge
    first, before = keys.current, sample("freeze-node", fresh=True)
    assert pusher(server, emulator, "v2").push(before).status_code == 202
    second = keys.rotate()
    assert second.url != first.url
    after, late = sample("unfreeze-node", fresh=True), sample("undeploy-node", fresh=True)
    assert pusher(server, emulator, "v2").push(after).status_code == 202
    in_flight = Pusher(server.url, first.private_pem, key_url=first.url, scheme="v1")   # signed before the rotation
    assert in_flight.push(late).status_code == 202
    wait_reported(emulator, [before["id"], after["id"], late["id"]], server=server)
    assert dict(keys.fetches) == {first.name: 1, second.name: 1}


def test_a_key_replaced_at_the_same_url_is_refetched_once(fetching_server, emulator):
    server = fetching_server(refetch_after_seconds=0)
    keys = emulator.eventbridge
    assert pusher(server, emulator, "v1").push(sample("freeze-node", fresh=True)).status_code == 202
    replaced = keys.replace_in_place()
    event = sample("unfreeze-node", fresh=True)
    assert pusher(server, emulator, "v2").push(event).status_code == 202       # fails, refetches, verifies
    wait_reported(emulator, [event["id"]], server=server)
    assert keys.fetches[replaced.name] == 2


def test_a_key_that_cannot_be_fetched_is_503_so_the_sender_retries(fetching_server, emulator):
    server = fetching_server(fetch_burst=1, fetches_per_minute=0.001)
    p = pusher(server, emulator, "v2")
    forged = Pusher(server.url, p.private_pem, key_url=f"{emulator.url}/_emulator/eventbridge/nothing-here.pem",
                    scheme="v2")
    assert "HTTP 404" in refused(forged.push(sample("freeze-node", fresh=True)), 401, "unauthenticated")
    event = sample("freeze-node", fresh=True)                    # the one fetch was spent on the forgery
    assert "budget" in refused(p.push(event), 503, "key-unavailable")
    assert sum(emulator.eventbridge.fetches.values()) == 0


def test_with_a_target_token_configured_pushes_from_other_rules_are_401(fetching_server, emulator):
    server = fetching_server(token="our-target-token")
    key = emulator.eventbridge.current
    p = pusher(server, emulator, "v2")
    ours, theirs = sample("freeze-node", fresh=True), sample("freeze-node", fresh=True)
    for event, token, status in ((theirs, "another-tenant", 401), (theirs, None, 401), (ours, "our-target-token", 202)):
        body = p.body(event)
        headers = {"content-type": "application/json",
                   **sign_push(p.events_url, body, key.private_pem, key.url, token=token, scheme="v2")}
        assert p.post(body, headers).status_code == status, token
    wait_reported(emulator, [ours["id"]], server=server)
    assert [r["MessageId"] for r in emulator.results] == [ours["id"]]


def test_opsguard_serve_fetches_the_key_a_push_names(serve_process, emulator):
    server = serve_process(public_key_file="", key_urls=list(LOOPBACK_KEYS))
    event = sample("freeze-node", fresh=True)
    answer = pusher(server, emulator, "v2").push(event)
    assert answer.status_code == 202, answer.text
    assert wait_reported(emulator, [event["id"]], server=server)[event["id"]][0]["CheckResult"] == "FAIL"
    assert server.terminate() == 0


# -- reproductions on the pinned key (these failed before the fix) --------------------------------------
def test_a_replay_respelled_in_base64_is_409_not_200(start_server, emulator):
    """Issue 21.2: the replay cache keyed on the signature's text; one of the other spellings got a 200."""
    server = start_server()
    p = server.pusher
    event = sample("freeze-node", fresh=True)
    body = p.body(event)
    headers = p.signed_headers(body)
    assert p.post(body, headers).status_code == 202
    for spelling in respellings(headers["x-eventbridge-signature"]):
        assert base64.b64decode(spelling) == base64.b64decode(headers["x-eventbridge-signature"])
        answer = p.post(body, {**headers, "x-eventbridge-signature": spelling})
        assert answer.status_code == 409, answer.text


def test_the_signed_url_is_the_configured_one_never_the_host_header(start_server, emulator):
    """A push EventBridge signed for another target (another URL) replayed here with that target's Host header
    verified when the URL was rebuilt from Host; now the URL checked is this server's own."""
    server = start_server()
    p = server.pusher
    body = p.body(sample("freeze-node", fresh=True))
    elsewhere = p.signed_headers(body, url="http://other-target.example/events")
    answer = p.post(body, {**elsewhere, "host": "other-target.example"})
    assert "BadSignature" in refused(answer, 401, "unauthenticated")
    mine = p.signed_headers(body)                                # signed for this server: any Host is fine
    assert p.post(body, {**mine, "host": "spoofed.example"}).status_code == 202


def test_a_server_started_without_a_known_url_verifies_nothing(start_server, emulator):
    server = start_server()
    server.service.base_url = ""                                 # as if neither public_url nor the bound address
    answer = server.pusher.push(sample("freeze-node", fresh=True))
    assert "public_url" in refused(answer, 503, "unavailable")


def test_with_public_url_configured_only_that_url_verifies(start_server, emulator):
    public = "https://opsguard.example.com/prefix"
    server = start_server(public_url=public)
    p = server.pusher
    body = p.body(sample("freeze-node", fresh=True))
    as_addressed = p.signed_headers(body)                        # the loopback address the request really used
    assert "BadSignature" in refused(p.post(body, as_addressed), 401, "unauthenticated")
    query = "source=eventbridge&x=1"
    signed = p.signed_headers(body, url=f"{public}/events?{query}")
    assert p.post(body, signed, path=f"/events?{query}").status_code == 202
