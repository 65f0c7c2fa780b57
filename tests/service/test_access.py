"""Who may read the pages and APIs: nothing without credentials but the health checks (every route of the
app, so a new one cannot be added open), a token or a login with it, an SSO proxy's header from a trusted
address, and per-check signed "View Details" links that open without a login until they expire."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.routing import APIRoute

from lineage.errors import ConfigError
from opsguard.cli.serve_cmd import refuse_open_doors
from opsguard.config import ServerSettings
from opsguard.http.access import AccessPolicy
from tests.service.conftest import UI_TOKEN, renamed, sample, wait_reported

OPEN = {"/healthz", "/readyz", "/login"}
CONCRETE = {"message_id": "some-check", "node_id": "700000000205", "name": "downstream-blocked"}


def app_routes(server) -> list[tuple[str, str]]:
    """(method, path) of every route the running server's app serves, parameters filled in."""
    fastapi_app = server.thread._server.config.app.app.app.app   # SourceLimit → EventsEndpoint → AccessGate → app
    routes = []
    for route in fastapi_app.routes:
        if isinstance(route, APIRoute):
            path = route.path
            for name, value in CONCRETE.items():
                path = path.replace("{" + name + "}", value)
            routes += [(method, path) for method in sorted(route.methods)]
    return routes


def test_every_route_but_the_open_ones_needs_credentials(start_server):
    server = start_server()
    anonymous = httpx.Client(timeout=10.0)
    routes = app_routes(server) + [("GET", "/metrics")]
    assert len(routes) >= 12 and ("GET", "/api/audit") in routes
    for method, path in routes:
        answer = anonymous.request(method, f"{server.url}{path}")
        if path in OPEN or (method, path) == ("POST", "/logout"):
            assert answer.status_code < 500, (method, path)
            continue
        assert answer.status_code in (401, 403), (method, path, answer.status_code)
        assert "some-check" not in answer.text or path.startswith("/checks")   # nothing of the check itself
    for path in ("/healthz", "/readyz"):
        assert anonymous.get(f"{server.url}{path}").status_code == 200


def test_a_token_or_a_login_with_it_opens_the_pages(start_server):
    server = start_server()
    page = f"{server.url}/checks"
    assert httpx.get(page, headers={"authorization": f"Bearer {UI_TOKEN}"}).status_code == 200
    assert httpx.get(page, headers={"authorization": "Bearer wrong-token-0000000000"}).status_code == 401
    browser = httpx.Client(timeout=10.0, follow_redirects=False)
    refused = browser.get(page)
    assert refused.status_code == 401 and "<form" in refused.text and 'name="token"' in refused.text
    wrong = browser.post(f"{server.url}/login", data={"token": "nope", "next": "/checks"})
    assert wrong.status_code == 401 and browser.get(page).status_code == 401
    signed_in = browser.post(f"{server.url}/login", data={"token": UI_TOKEN, "next": "//evil.example/x"})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/checks"   # never off-site
    assert "httponly" in signed_in.headers["set-cookie"].lower()
    assert browser.get(page).status_code == 200 and browser.get(f"{server.url}/api/checks").status_code == 200
    browser.post(f"{server.url}/logout")
    assert browser.get(page).status_code == 401


def test_a_signed_view_details_link_opens_its_check_without_a_login_until_it_expires(start_server, emulator):
    server = start_server()
    event = sample("freeze-node", fresh=True)
    accepted = server.pusher.push(event)
    wait_reported(emulator, [event["id"]], server=server)
    link = accepted.json()["details_url"]
    assert "sig=" in link and "exp=" in link
    anonymous = httpx.Client(timeout=10.0)
    page = anonymous.get(link)
    assert page.status_code == 200 and "ods_trade_order_di" in page.text
    query = urlsplit(link).query
    why = anonymous.get(f"{server.url}/api/checks/{event['id']}/path/700000000205?{query}")
    assert why.status_code == 200 and why.json()["path"]
    assert anonymous.get(f"{server.url}/docs?check={event['id']}&{query}").status_code == 200
    # the link opens that check only
    other = renamed(sample("undeploy-node", fresh=True))
    server.pusher.push(other)
    assert anonymous.get(f"{server.url}/checks/{other['id']}?{query}").status_code == 401
    assert anonymous.get(f"{server.url}/checks?{query}").status_code == 401
    expired = server.service.signer.query(event["id"], now=time.time() - server.service.signer.ttl_seconds - 5)
    stale = anonymous.get(f"{server.url}/checks/{event['id']}", params=expired)
    assert stale.status_code == 401
    forged = anonymous.get(f"{server.url}/checks/{event['id']}", params={**expired, "exp": str(int(time.time()) + 99)})
    assert forged.status_code == 401


@pytest.mark.parametrize("proxies, expected", [(("127.0.0.1/32",), 200), (("10.0.0.0/8",), 403)])
def test_an_sso_proxy_header_counts_only_from_a_trusted_address(start_server, proxies, expected):
    server = start_server(access=AccessPolicy(mode="header", header="X-Forwarded-User", trusted_proxies=proxies))
    anonymous = httpx.Client(timeout=10.0)
    assert anonymous.get(f"{server.url}/checks").status_code == 401
    answer = anonymous.get(f"{server.url}/checks", headers={"x-forwarded-user": "alice@example.com"})
    assert answer.status_code == expected


def test_metrics_can_be_opened_to_a_scraper(start_server):
    server = start_server(access=AccessPolicy(mode="token", token=UI_TOKEN, metrics_open=True))
    assert httpx.get(f"{server.url}/metrics").status_code == 200
    assert httpx.get(f"{server.url}/api/checks").status_code == 401


def test_no_auth_is_refused_off_loopback_unless_insecure_is_given():
    for key in ("auth", "ui_auth"):
        settings = ServerSettings(host="0.0.0.0", **{key: "none"})
        with pytest.raises(ConfigError, match=f"server.{key} = \"none\" on 0.0.0.0.*--insecure"):
            refuse_open_doors(settings, insecure=False)
        refuse_open_doors(settings, insecure=True)
        refuse_open_doors(ServerSettings(host="127.0.0.1", **{key: "none"}), insecure=False)


def test_what_comes_from_outside_is_escaped_on_every_page(start_server, emulator):
    server = start_server()
    hostile = renamed(sample("freeze-node", fresh=True), operator="<script>alert(1)</script>",
                      extensionBizId="<img src=x onerror=alert(2)>")
    accepted = server.pusher.push(hostile)
    wait_reported(emulator, [hostile["id"]], server=server)
    for path in (f"/checks/{hostile['id']}", "/checks", f"/checks/{hostile['id']}/path/700000000205"):
        text = server.pusher.client.get(f"{server.url}{path}").text
        assert "<script>alert(1)" not in text and "<img src=x" not in text, path
    assert "&lt;script&gt;" in server.pusher.client.get(accepted.json()["details_url"]).text


def test_one_address_sending_too_fast_gets_429_and_the_health_checks_stay_open(start_server):
    server = start_server(rate_per_source=5.0)
    client = server.pusher.client
    answers = [client.get(f"{server.url}/api/checks").status_code for _ in range(30)]
    assert answers[:10] == [200] * 10 and 429 in answers        # a burst of twice the rate, then refused
    refused = client.get(f"{server.url}/api/checks")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert all(client.get(f"{server.url}/readyz").status_code == 200 for _ in range(20))


def test_an_unknown_region_is_refused_naming_the_valid_ones(tmp_path):
    from opsguard.config import OpsguardConfig

    config = tmp_path / "opsguard.toml"
    config.write_text('[dataworks]\nregion = "cn-atlantis"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="cn-atlantis.*cn-shanghai.*ap-southeast-1"):
        OpsguardConfig.load(config)
