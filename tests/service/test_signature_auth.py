"""opsguard.webhook.auth.SignatureAuth: either scheme lets a push in once; a replay is refused however it is
spelled; the key comes from the emulator's loopback URL only when the allow-list names it."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from itertools import product

import pytest

from opsguard.webhook.keys import KeyFetcher
from opsguard.webhook.auth import AuthFailure, ReplayCache, SignatureAuth, require_signed_url, signature_auth
from lineage.errors import ConfigError
from sandbox.pusher import sign_push

URL = "https://opsguard.example.com/events"
BODY = json.dumps({"id": "m-1", "data": {"eventCode": "freeze-node"}}).encode()
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def respellings(text: str) -> list[str]:
    """Every other base64 spelling of the same bytes: the last character's spare bits set otherwise."""
    padding = len(text) - len(text.rstrip("="))
    last = len(text) - padding - 1
    spare = {1: 2, 2: 4}.get(padding, 0)     # bits of the last character that carry nothing
    base = ALPHABET.index(text[last]) & ~((1 << spare) - 1)
    return [text[:last] + ALPHABET[base | low] + text[last + 1:] for low in range(1 << spare)
            if ALPHABET[base | low] != text[last]]


def test_respellings_decode_to_the_same_bytes():
    text = base64.b64encode(bytes(range(20))).decode()
    others = respellings(text)
    assert len(others) == 3 and all(base64.b64decode(o, validate=True) == bytes(range(20)) for o in others)
    assert len(respellings(base64.b64encode(bytes(256)).decode())) == 15


@pytest.fixture
def fetching(emulator):
    """A SignatureAuth fetching keys from the emulator's loopback URL, and the emulator's key set."""
    auth = SignatureAuth(KeyFetcher(["http://127.0.0.1:*"]))
    return auth, emulator.eventbridge


def sign(keys, scheme, *, body=BODY, url=URL, now_ms=None, **kwargs):
    key = keys.current
    return sign_push(url, body, key.private_pem, key.url, scheme=scheme, now_ms=now_ms, **kwargs)


@pytest.mark.parametrize("scheme", ["v1", "v2", "both"])
def test_a_push_in_either_scheme_is_verified_and_says_how(fetching, scheme):
    auth, keys = fetching
    verified = auth.check(URL, sign(keys, scheme), BODY)
    assert verified.scheme == {"v1": "v1", "v2": "v2", "both": "v1+v2"}[scheme]
    assert verified.form == {"v1": "v1", "v2": "v2", "both": "v1+v2"}[scheme]
    assert verified.key_url == keys.current.url and abs(verified.timestamp_ms - time.time() * 1000) < 60_000
    assert len(verified.replay_key.split()) == (2 if scheme == "both" else 1)


@pytest.mark.parametrize("scheme, header", [("v1", "x-eventbridge-signature"), ("v2", "x-eventbridge-signature-v2")])
def test_a_replay_is_refused_however_its_signature_is_spelled(fetching, scheme, header):
    """Reproduction (issue 21.2): the cache keyed on the signature's text, so a re-spelled base64 got in."""
    auth, keys = fetching
    headers = sign(keys, scheme)
    auth.remember(auth.check(URL, headers, BODY))
    for spelling in [headers[header], *respellings(headers[header])]:
        with pytest.raises(AuthFailure) as refused:
            auth.check(URL, {**headers, header: spelling}, BODY)
        assert refused.value.status == 409, spelling


@pytest.mark.parametrize("keep", ["v1", "v2"])
def test_a_push_signed_both_ways_cannot_be_replayed_with_one_scheme_stripped(fetching, keep):
    auth, keys = fetching
    headers = sign(keys, "both")
    auth.remember(auth.check(URL, headers, BODY))
    drop = {"v1": ("x-eventbridge-signature-v2",),
            "v2": ("x-eventbridge-signature", "x-eventbridge-signature-secret")}[keep]
    stripped = {k: v for k, v in headers.items() if k not in drop}
    with pytest.raises(AuthFailure) as refused:
        auth.check(URL, stripped, BODY)
    assert refused.value.status == 409


def test_a_replay_with_a_newline_added_to_the_body_is_still_a_replay(fetching):
    """The string to sign ends "body\\n" in one form and "body" in another, so body + "\\n" verifies under the
    second: the signature bytes are the same, and so is the replay key."""
    auth, keys = fetching
    headers = sign(keys, "v2")
    auth.remember(auth.check(URL, headers, BODY))
    with pytest.raises(AuthFailure) as refused:
        auth.check(URL, headers, BODY + b"\n")
    assert refused.value.status == 409


def test_replays_are_remembered_across_a_restart(fetching):
    auth, keys = fetching
    old_style = sign(keys, "v1")
    new_style = sign(keys, "v2")
    stored = [auth.check(URL, headers, BODY) for headers in (old_style, new_style)]
    restarted = SignatureAuth(auth.keys)
    now = datetime.now(UTC)
    restarted.replays.preload([(verified.replay_key, now) for verified in stored])   # from the inbox
    for headers in (old_style, new_style):
        with pytest.raises(AuthFailure) as refused:
            restarted.check(URL, headers, BODY)
        assert refused.value.status == 409


def test_the_replay_cache_forgets_after_twice_the_age_window():
    now = [1_000.0]
    cache = ReplayCache(60_000, clock=lambda: now[0])
    cache.add("v1:aa", now[0] * 1000)
    now[0] += 121
    cache.add("v1:bb", now[0] * 1000)             # adding prunes
    assert not cache.seen("v1:aa") and cache.seen("v2:cc v1:bb")


@pytest.mark.parametrize("where, host", [("https://evil.example/k.pem", "evil.example"),
                                         ("http://localhost:9/k.pem", "localhost")])
def test_a_key_url_outside_the_allow_list_is_401_naming_the_host(fetching, where, host):
    auth, keys = fetching
    key = keys.current
    with pytest.raises(AuthFailure) as refused:
        auth.check(URL, sign_push(URL, BODY, key.private_pem, where, scheme="v2"), BODY)
    assert refused.value.status == 401 and f"'{host}'" in refused.value.detail


def test_a_key_that_cannot_be_fetched_now_is_503(fetching, emulator):
    auth, keys = fetching
    key = keys.current
    gone = f"http://127.0.0.1:{_free_port()}/k.pem"   # nobody listens: connection refused
    with pytest.raises(AuthFailure) as refused:
        auth.check(URL, sign_push(URL, BODY, key.private_pem, gone, scheme="v1"), BODY)
    assert refused.value.status == 503 and refused.value.reason == "key-unavailable"


def test_a_stale_push_is_refused_before_any_key_is_fetched(fetching):
    auth, keys = fetching
    headers = sign(keys, "v2", now_ms=int(time.time() * 1000) - 61_000)
    with pytest.raises(AuthFailure, match="StaleTimestamp"):
        auth.check(URL, headers, BODY)
    assert keys.fetches[keys.current.name] == 0 and auth.may_block(headers)


def test_may_block_until_the_key_is_cached(fetching):
    auth, keys = fetching
    headers = sign(keys, "v2")
    assert auth.may_block(headers)
    auth.check(URL, headers, BODY)
    assert not auth.may_block(sign(keys, "v1")) and keys.fetches[keys.current.name] == 1
    assert not auth.may_block({"content-type": "application/json"})


def test_without_the_signed_url_nothing_is_verified(fetching):
    auth, keys = fetching
    with pytest.raises(AuthFailure) as refused:
        auth.check("/events", sign(keys, "v2", url="/events"), BODY)
    assert refused.value.status == 503 and "public_url" in refused.value.detail


@pytest.mark.parametrize("public_url, host, ok", [
    *product(["https://opsguard.example.com"], ["0.0.0.0", "10.1.2.3", "127.0.0.1"], [True]),
    ("", "127.0.0.1", True), ("", "::1", True), ("", "localhost", True), ("", "127.0.0.9", True),
    ("", "0.0.0.0", False), ("", "::", False), ("", "opsguard.internal", False)])
def test_the_signed_url_must_be_configured_unless_the_server_is_on_loopback(public_url, host, ok):
    if ok:
        require_signed_url(public_url, host)
    else:
        with pytest.raises(ConfigError, match="needs server.public_url"):
            require_signed_url(public_url, host)


def test_settings_pick_the_pinned_file_or_the_fetcher(tmp_path, emulator):
    pem = tmp_path / "pub.pem"
    pem.write_bytes(emulator.eventbridge.current.public_pem)
    pinned = signature_auth(public_key_file=str(pem), key_urls=["https://k.example.com"])
    assert not pinned.may_block(sign(emulator.eventbridge, "v1"))
    pinned.check(URL, sign(emulator.eventbridge, "v1"), BODY)
    assert emulator.eventbridge.fetches[emulator.eventbridge.current.name] == 0
    fetching = signature_auth(key_urls=["http://127.0.0.1:*"], fetch_timeout_seconds=2.0)
    assert isinstance(fetching.keys, KeyFetcher) and fetching.keys.timeout == 2.0
    (tmp_path / "junk.pem").write_bytes(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    with pytest.raises(ConfigError, match="junk.pem is not a PEM public key"):
        signature_auth(public_key_file=str(tmp_path / "junk.pem"))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_with_a_configured_token_only_pushes_carrying_it_get_in(emulator):
    """EventBridge signs every tenant's pushes with the same key: the token set on our target is what ties a
    push to our rule."""
    auth = SignatureAuth(KeyFetcher(["http://127.0.0.1:*"]), token="our-target-token")
    keys = emulator.eventbridge
    auth.check(URL, sign(keys, "v2", token="our-target-token"), BODY)
    for scheme, token in product(["v1", "v2"], [None, "their-token", "our-target-token "]):
        with pytest.raises(AuthFailure, match="x-eventbridge-signature-token is not the token") as refused:
            auth.check(URL, sign(keys, scheme, token=token), BODY)
        assert refused.value.status == 401
