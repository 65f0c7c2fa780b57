"""The pages over real HTTP on a server that judged real pushes: `/` leads to the list, the list's filters and
pages (bad values are a 400 that says why), the details headline names the nodes, every impacted node as
CSV, the backfill wall clock beside the serial hours — and nothing of it without authentication."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.service.conftest import renamed, sample, wait_reported


@pytest.fixture
def judged(start_server, emulator):
    """A server that judged five checks: the freeze, undeploy and backfill samples, a freeze by operator
    "ann" of ods_trade_refund_di (700000000102), and an undeploy of five nodes."""
    server = start_server()
    events = {code: sample(code) for code in ("freeze-node", "undeploy-node", "backfill-data")}
    events["ann"] = renamed(sample("freeze-node"), operator="ann", nodeIds=[700000000102],
                            extensionBizId="ebz-ann")
    events["five"] = renamed(sample("undeploy-node"), extensionBizId="ebz-five",
                             nodeIds=[700000000101, 700000000102, 700000000205, 700000000206, 700000000207])
    for envelope in events.values():
        assert server.pusher.push(envelope).status_code == 202
    wait_reported(emulator, [e["id"] for e in events.values()], server=server)
    server.ids = {k: e["id"] for k, e in events.items()}
    return server


def get(server, path: str, **params) -> httpx.Response:
    return server.pusher.client.get(f"{server.url}{path}", params=params)


def listed(html: str) -> list[str]:
    """The message ids of the list's rows, in order."""
    table = html.split('id="checks"', 1)[1] if 'id="checks"' in html else ""
    return re.findall(r'<a href="/checks/([^"?]+)">', table)


def test_root_leads_to_the_checks_list_and_nothing_is_readable_without_signing_in(judged):
    home = judged.pusher.client.get(f"{judged.url}/", follow_redirects=True)
    assert home.status_code == 200 and str(home.url).endswith("/checks") and 'id="checks"' in home.text
    mid = judged.ids["freeze-node"]
    for path in ("/", "/checks", "/checks?result=FAIL", f"/checks/{mid}", f"/checks/{mid}/nodes.csv",
                 "/api/checks?result=FAIL"):
        answer = httpx.get(f"{judged.url}{path}", follow_redirects=False)
        assert answer.status_code == 401, path
        assert "ods_trade" not in answer.text and "badge" not in answer.text and "node_id" not in answer.text, path


@pytest.mark.parametrize(("params", "expected"), [
    ({"result": "WARN"}, {"backfill-data"}),
    ({"result": "fail", "event": "undeploy-node"}, {"undeploy-node", "five"}),
    ({"operator": "ann"}, {"ann"}),
    ({"node": "700000000102"}, {"ann", "undeploy-node", "five"}),
    ({"node": "ods_trade_refund_di"}, {"ann", "undeploy-node", "five"}),     # by name, resolved on the snapshot
    ({"workspace": "215001", "event": "backfill-data"}, {"backfill-data"}),
    ({"workspace": "215002"}, set()),
    ({"workspace": "dw_trade", "event": "backfill-data"}, {"backfill-data"}),  # names, as the list shows them
    ({"operator": "Li Na"}, {"freeze-node", "undeploy-node", "backfill-data", "five"}),
    ({"since": "1h"}, {"freeze-node", "undeploy-node", "backfill-data", "ann", "five"}),
    ({"until": "1h"}, set()),
])
def test_the_list_shows_only_the_checks_a_filter_selects(judged, params, expected):
    answer = get(judged, "/checks", **params)
    assert answer.status_code == 200
    assert set(listed(answer.text)) == {judged.ids[k] for k in expected}
    api = get(judged, "/api/checks", **params)
    assert {c["message_id"] for c in api.json()} == {judged.ids[k] for k in expected}
    for name, value in params.items():   # the form shows the filter in force
        assert re.search(rf'name="{name}"[^>]*value="{re.escape(value)}"', answer.text) or \
            re.search(rf'<option value="{value.upper()}" selected>|<option value="{value}" selected>', answer.text)


@pytest.mark.parametrize(("params", "says"), [
    ({"result": "nope"}, "result: expected one of OK, WARN, FAIL, pending, got &#39;nope&#39;"),
    ({"event": "freeze"}, "event: expected one of freeze-node"),
    ({"workspace": "abc"}, "workspace: expected a workspace id"),
    ({"workspace": "dw_nowhere"}, "workspace: expected a workspace id or the name of one in the snapshot"),
    ({"since": "yesterday"}, "since: expected a date"),
    ({"since": "1d", "until": "2d"}, "must be before until"),
    ({"node": "no_such_node_anywhere"}, "no node named &#39;no_such_node_anywhere&#39;"),
    ({"node": "9" * 25}, "node: expected a node id (a whole number)"),
    ({"before": "2026-11-20T00:00:00+00:00"}, "before and before_id go together"),
    ({"limit": "0"}, "limit: expected a number of rows from 1 to 1000"),
])
def test_a_bad_filter_is_a_400_that_says_what_is_wrong(judged, params, says):
    answer = get(judged, "/checks", **params)
    assert answer.status_code == 400 and says in answer.text and 'id="filter-error"' in answer.text
    assert 'id="filters"' in answer.text                        # the form is there to correct it
    api = get(judged, "/api/checks", **params)
    assert api.status_code == 400 and api.json()["error"] == "bad-filter"


def test_pages_go_back_past_the_first_and_keep_the_filter(judged):
    assert len(listed(get(judged, "/checks").text)) == 5
    fails = listed(get(judged, "/checks", result="FAIL").text)
    assert len(fails) >= 3
    html = get(judged, "/checks", limit="2", result="FAIL").text
    walked = listed(html)
    while 'id="older"' in html:
        href = re.search(r'<a href="(/checks\?[^"]+)" id="older"', html).group(1).replace("&amp;", "&")
        query = parse_qs(urlsplit(href).query)
        assert query["result"] == ["FAIL"] and query["limit"] == ["2"] and "before_id" in query
        html = judged.pusher.client.get(f"{judged.url}{href}").text
        assert 'id="newest"' in html
        walked += listed(html)
    assert walked == fails                                   # newest first, each once, only FAIL
    older = get(judged, "/api/checks", limit="2")
    assert 'rel="next"' in older.headers["link"] and "before_id=" in older.headers["link"]


def test_the_headline_names_the_nodes(judged):
    def headline(key: str) -> str:
        html = get(judged, f"/checks/{judged.ids[key]}").text
        return re.sub(r"<[^>]+>", "", re.search(r'<h1 id="headline">(.*?)</h1>', html).group(1))

    assert headline("freeze-node") == "freeze-node of ods_trade_order_di"
    assert headline("undeploy-node") == "undeploy-node of ods_trade_order_di and ods_trade_refund_di"
    assert re.fullmatch(r"undeploy-node of ods_trade_order_di, ods_trade_refund_di, \w+ and 2 more",
                        headline("five"))
    assert headline("backfill-data") == "backfill-data of ods_trade_order_di"


def test_every_impacted_node_downloads_as_csv_past_the_display_cap(judged):
    from opsguard.pages.details import NODE_ROWS
    from opsguard.pages.nodes_csv import COLUMNS

    mid = judged.ids["freeze-node"]
    page = get(judged, f"/checks/{mid}").text
    assert f'href="/checks/{mid}/nodes.csv"' in page
    doc = get(judged, f"/api/checks/{mid}").json()
    answer = get(judged, f"/checks/{mid}/nodes.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert tuple(rows[0]) == COLUMNS
    assert doc["nodes"]["total"] > NODE_ROWS and len(rows) == doc["nodes"]["total"]   # past the page's cap
    assert [r["node_id"] for r in rows] == [str(r["node_id"]) for r in doc["nodes"]["rows"]]
    assert rows[0]["part"] == "changed" and rows[0]["node_name"] == "ods_trade_order_di" and rows[0]["depth"] == "0"
    assert {r["part"] for r in rows[1:]} == {"downstream"}
    shown = {str(r["node_id"]): r.get("owner_name") or r["owner_id"] for r in doc["nodes"]["rows"]}
    assert all(r["owner"] == shown[r["node_id"]] for r in rows)                 # the owner's name, else the id
    assert any(r["owner"] != r["owner_id"] for r in rows)                        # the demo's owners have names
    assert any(r["baseline_id"] for r in rows) and any(r["via_name"] for r in rows)
    # the operator's signed link from DataWorks opens the CSV too (and no other check's)
    signed = judged.service.signer.query(mid)
    assert httpx.get(f"{judged.url}/checks/{mid}/nodes.csv", params=signed).status_code == 200
    other = judged.ids["undeploy-node"]
    assert httpx.get(f"{judged.url}/checks/{other}/nodes.csv", params=signed).status_code == 401
    assert get(judged, "/checks/no-such-check/nodes.csv").status_code == 404


def test_backfill_csv_lists_selected_dry_run_and_stale_nodes(judged):
    mid = judged.ids["backfill-data"]
    rows = list(csv.DictReader(io.StringIO(get(judged, f"/checks/{mid}/nodes.csv").text)))
    doc = get(judged, f"/api/checks/{mid}").json()["nodes"]
    parts = [r["part"] for r in rows]
    assert parts.count("dry-run") == 1 and parts.count("left-stale") == doc["stale_total"] > 0
    assert parts.count("selected") + parts.count("dry-run") == doc["total"]


def test_backfill_page_states_the_wall_clock_estimate_beside_the_serial_hours(judged):
    mid = judged.ids["backfill-data"]
    verdict = get(judged, f"/api/checks/{mid}").json()["verdict"]["backfill"]
    html = get(judged, f"/checks/{mid}").text
    card = html.split('id="wall-clock"', 1)[1].split("</div></div>", 1)[0]
    assert f"≈ {verdict['estimated_wall_clock_hours']:,.1f}" in card and "estimated wall-clock hours" in card
    assert "estimated compute hours (serial sum)" in html
    note = html.split('id="wall-clock-note"', 1)[1].split("</p>", 1)[0]
    assert "<b>estimate</b>" in note and "critical path" in note
    assert " → ".join(verdict["critical_path_names"][:2]) in note
    coverage = verdict["wall_clock_coverage"]
    assert f"{coverage['nodes_without_history']} of {coverage['run_nodes']} running nodes had no run history" in note
