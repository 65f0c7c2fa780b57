"""The details pages show owners and baselines by name (synced workspace members, ListBaselines names)."""

from __future__ import annotations

import html
import re

import httpx

from tests.service.conftest import UI_TOKEN, sample, wait_reported


def test_the_details_page_and_the_path_name_owners_and_baselines(start_server, emulator, demo_workspace):
    server = start_server()
    event = sample("freeze-node", fresh=True)
    accepted = server.pusher.push(event)
    wait_reported(emulator, [event["id"]], server=server)
    page = httpx.get(accepted.json()["details_url"], timeout=10.0)
    text = html.unescape(page.text)
    nodes = {n["NodeId"]: n for n in demo_workspace["nodes"]}
    members = {m["ProjectMemberId"]: m["ProjectMemberName"] or m["Nick"]
               for ms in demo_workspace["members"].values() for m in ms}
    detail_owner = nodes[700000000205]["OwnerId"]
    assert page.status_code == 200 and f"<td>{members[detail_owner]}</td>" in text
    assert f"<td>{detail_owner}</td>" not in text                    # the cell shows the name, not the id
    assert "trade_sla_000" in text                                    # the tip and checkpoints name baselines
    link = accepted.json()["details_url"]
    path_page = httpx.get(link.replace(f"/checks/{event['id']}", f"/checks/{event['id']}/path/700000000206"),
                          timeout=10.0)
    assert path_page.status_code == 200 and "Li Na" in html.unescape(path_page.text)
    workspace = next(p["ProjectName"] for p in demo_workspace["projects"] if p["ProjectId"] == 215001)
    assert "<dt>operator</dt><dd>Li Na " in text and f"<dt>workspace</dt><dd>{workspace} " in text
    for column in ("workspace", "owner"):                 # the node table names them too
        assert re.search(rf"<td>{re.escape(workspace if column == 'workspace' else members[detail_owner])}</td>",
                         text)
    listing = html.unescape(httpx.get(f"{server.url}/checks", headers={"authorization": f"Bearer {UI_TOKEN}"},
                                    timeout=10.0).text)
    assert f'<td title="215001">{workspace}</td>' in listing and '">Li Na</td>' in listing
    assert re.search(r"<text[^>]*>p\d+ · Li Na</text>", text)   # the picture's boxes name the owner too
