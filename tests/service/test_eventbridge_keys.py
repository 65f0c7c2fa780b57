"""opsguard.webhook.keys: keys come only from allow-listed origins, once per URL, within bounded fetches."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from opsguard.webhook.keys import OFFICIAL_KEY_URLS, KeyFetcher, KeyUrlPolicy, PinnedKey
from opsguard.config import ServerSettings
from opsguard.webhook.signature import BadKey, KeyUnavailable, UntrustedKeyUrl
from lineage.errors import ConfigError
from sandbox.eventbridge_keys import make_signing_pair

LOOPBACK = ("http://127.0.0.1:*",)


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False          # never answer (until the test ends)
    no_length: bool = False     # close-delimited body, no Content-Length


@dataclass
class KeyServer:
    """A loopback HTTP server with settable answers per path and a log of the paths requested."""

    url: str
    routes: dict[str, Route]
    requested: list[str]

    def serve(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return f"{self.url}{path}"


@pytest.fixture
def key_server() -> Iterator[KeyServer]:
    routes: dict[str, Route] = {}
    requested: list[str] = []
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requested.append(self.path)
            route = routes.get(self.path, Route(404, b"no such key"))
            if route.hang:
                release.wait(30)
                return
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if not route.no_length:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield KeyServer(f"http://127.0.0.1:{server.server_address[1]}", routes, requested)
    release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def pems() -> list[tuple[bytes, bytes]]:
    """Three (private, certificate) pairs and one (private, bare public key) pair."""
    return [make_signing_pair(), make_signing_pair(), make_signing_pair(), make_signing_pair(certificate=False)]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def numbers(key):
    return key.public_numbers()


# -- the allow-list ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["https://cn-shanghai-eventbridge.oss-accelerate.aliyuncs.com/x509_public_cert.pem",
                                 "https://ap-southeast-1-eventbridge.oss-accelerate.aliyuncs.com/k.pem",
                                 "https://CN-HANGZHOU-eventbridge.oss-accelerate.aliyuncs.com:443/k.pem"])
def test_the_default_allows_the_official_https_hosts_of_any_region(url):
    KeyUrlPolicy(OFFICIAL_KEY_URLS).check(url)


@pytest.mark.parametrize("url, host", [
    ("http://cn-shanghai-eventbridge.oss-accelerate.aliyuncs.com/k.pem", "cn-shanghai-eventbridge"),   # not https
    ("https://evil.example/k.pem", "evil.example"),
    ("https://cn-shanghai-eventbridge.oss-accelerate.aliyuncs.com.evil.example/k.pem", "evil.example"),
    ("https://a.b-eventbridge.oss-accelerate.aliyuncs.com/k.pem", "a.b-eventbridge"),   # * is one label
    ("https://cn-shanghai-eventbridge.oss-accelerate.aliyuncs.com:8443/k.pem", "cn-shanghai-eventbridge"),
    ("https://eventbridge.oss-accelerate.aliyuncs.com/k.pem", "eventbridge.oss-accelerate"),
    ("http://127.0.0.1:8080/k.pem", "127.0.0.1"),                                     # loopback only if listed
])
def test_other_origins_are_refused_naming_the_host(url, host):
    with pytest.raises(UntrustedKeyUrl, match=host.replace(".", r"\.")):
        KeyUrlPolicy(OFFICIAL_KEY_URLS).check(url)


@pytest.mark.parametrize("url", ["https://user@cn-shanghai-eventbridge.oss-accelerate.aliyuncs.com/k.pem",
                                 "not a url", "https:///k.pem", "https://h:99999/k"])
def test_urls_without_a_plain_host_are_refused(url):
    with pytest.raises(UntrustedKeyUrl):
        KeyUrlPolicy(OFFICIAL_KEY_URLS).check(url)


def test_a_loopback_http_origin_must_be_listed_explicitly():
    policy = KeyUrlPolicy(LOOPBACK)
    policy.check("http://127.0.0.1:5555/k.pem")
    with pytest.raises(UntrustedKeyUrl):
        policy.check("http://127.0.0.2:5555/k.pem")
    KeyUrlPolicy(["http://127.0.0.1:5555"]).check("http://127.0.0.1:5555/k.pem")
    with pytest.raises(UntrustedKeyUrl):
        KeyUrlPolicy(["http://127.0.0.1:5555"]).check("http://127.0.0.1:5556/k.pem")


@pytest.mark.parametrize("patterns, why", [
    (["http://keys.example.com"], "plain http"), (["http://0.0.0.0:*"], "plain http"),
    (["ftp://keys.example.com"], "not scheme://host"), (["https://keys.example.com/some/path"], "not scheme://host"),
    (["https://*"], None), ([], "empty")])
def test_bad_patterns_are_config_errors(patterns, why):
    if why is None:   # a lone * is one label: it matches dotless hosts only, which is odd but not wrong
        KeyUrlPolicy(patterns)
        return
    with pytest.raises(ConfigError, match=why):
        KeyUrlPolicy(patterns)


def test_the_settings_default_is_the_official_origins():
    assert ServerSettings().key_urls == OFFICIAL_KEY_URLS


# -- fetching ---------------------------------------------------------------------------------------------
def test_a_key_is_fetched_once_per_url_and_then_cached(key_server, pems):
    url = key_server.serve("/x509_public_certificate_1.pem", Route(body=pems[0][1]))
    fetcher = KeyFetcher(LOOPBACK)
    assert fetcher.would_fetch(url)
    first = fetcher.key_for(url)
    assert fetcher.key_for(url) is first and not fetcher.would_fetch(url)
    assert key_server.requested == ["/x509_public_certificate_1.pem"]


def test_a_bare_public_key_file_serves_as_well(key_server, pems):
    url = key_server.serve("/bare.pem", Route(body=pems[3][1]))
    assert b"BEGIN PUBLIC KEY" in pems[3][1]
    assert KeyFetcher(LOOPBACK).key_for(url).key_size == 2048


def test_a_url_outside_the_allow_list_is_never_requested(key_server, pems):
    url = key_server.serve("/k.pem", Route(body=pems[0][1]))
    fetcher = KeyFetcher(OFFICIAL_KEY_URLS)
    assert not fetcher.would_fetch(url)
    with pytest.raises(UntrustedKeyUrl, match="127.0.0.1"):
        fetcher.key_for(url)
    assert key_server.requested == []


def test_a_rotated_key_at_a_new_url_is_fetched_and_the_old_one_stays_cached(key_server, pems):
    old = key_server.serve("/x509_public_certificate_1.pem", Route(body=pems[0][1]))
    new = key_server.serve("/x509_public_certificate_2.pem", Route(body=pems[1][1]))
    fetcher = KeyFetcher(LOOPBACK)
    old_key, new_key = fetcher.key_for(old), fetcher.key_for(new)
    assert numbers(old_key) != numbers(new_key) and fetcher.key_for(old) is old_key
    assert len(key_server.requested) == 2


@pytest.mark.parametrize("route, error, why", [
    (Route(404, b"NoSuchKey"), BadKey, "HTTP 404"),
    (Route(302, b"", {"Location": "/x509_public_certificate_1.pem"}), BadKey, "HTTP 302"),
    (Route(200, b"<html>hello</html>"), BadKey, "no PEM"),
    (Route(200, b"x" * 70_000), BadKey, "70000 bytes"),
    (Route(200, b"x" * 70_000, no_length=True), BadKey, "more than 65536 bytes"),
    (Route(503, b"busy"), KeyUnavailable, "HTTP 503"),
    (Route(hang=True), KeyUnavailable, "timed out|took longer|failed"),
])
def test_what_is_no_key_or_not_answered_in_time_is_an_error_and_not_retried_at_once(key_server, route, error, why):
    url = key_server.serve("/k.pem", route)
    key_server.serve("/x509_public_certificate_1.pem", Route(body=b"never fetched"))
    clock = Clock()
    fetcher = KeyFetcher(LOOPBACK, timeout_seconds=0.5, clock=clock)
    with pytest.raises(error, match=why):
        fetcher.key_for(url)
    assert key_server.requested == ["/k.pem"]          # the redirect was not followed
    with pytest.raises(error, match="not retried"):
        fetcher.key_for(url)
    assert not fetcher.would_fetch(url) and key_server.requested == ["/k.pem"]
    clock.now += 61
    assert fetcher.would_fetch(url)


def test_fetches_beyond_the_budget_are_refused_without_a_request(key_server, pems):
    clock = Clock()
    fetcher = KeyFetcher(LOOPBACK, fetch_burst=2, fetches_per_minute=6, clock=clock)
    forged = [f"{key_server.url}/forged-{i}.pem" for i in range(5)]
    for url in forged[:2]:
        with pytest.raises(BadKey, match="404"):
            fetcher.key_for(url)
    with pytest.raises(KeyUnavailable, match="budget"):
        fetcher.key_for(forged[2])
    assert key_server.requested == ["/forged-0.pem", "/forged-1.pem"]
    clock.now += 10                                    # 6 a minute: one more token
    good = key_server.serve("/x509_public_certificate_1.pem", Route(body=pems[0][1]))
    fetcher.key_for(good)
    with pytest.raises(KeyUnavailable, match="budget"):
        fetcher.key_for(forged[3])
    assert key_server.requested[-1] == "/x509_public_certificate_1.pem" and len(key_server.requested) == 3


def test_a_key_replaced_in_place_is_refetched_at_most_once_per_interval(key_server, pems):
    clock = Clock()
    url = key_server.serve("/x509_public_certificate_1.pem", Route(body=pems[0][1]))
    fetcher = KeyFetcher(LOOPBACK, refetch_after_seconds=300, clock=clock)
    old = fetcher.key_for(url)
    key_server.serve("/x509_public_certificate_1.pem", Route(body=pems[1][1]))     # replaced in place
    assert fetcher.refreshed(url, old) is None                 # fetched just now: no refetch
    assert len(key_server.requested) == 1
    clock.now += 301
    fresh = fetcher.refreshed(url, old)
    assert fresh is not None and numbers(fresh) == numbers(PinnedKey(pems[1][1]).key)
    assert fetcher.key_for(url) is fresh and len(key_server.requested) == 2
    assert fetcher.refreshed(url, fresh) is None and len(key_server.requested) == 2
    clock.now += 301                                           # unchanged key: nothing new, one request
    assert fetcher.refreshed(url, fresh) is None and len(key_server.requested) == 3


def test_a_pinned_key_never_fetches():
    private, public = make_signing_pair(bits=1024, certificate=False)
    pinned = PinnedKey(public)
    assert pinned.key_for("https://anything.example/k.pem") is pinned.key
    assert not pinned.would_fetch("https://anything.example/k.pem")
    assert pinned.refreshed("https://anything.example/k.pem", pinned.key) is None
