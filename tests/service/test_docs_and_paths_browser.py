"""The "View Documentation" page and the "why?" path explanation in headless Chromium (Debian's `chromium`),
against a running server that judged real pushes; screenshots land in `test-artifacts/`."""

from __future__ import annotations

import re

import pytest

from evaluator.checks import CHECKS, check_name
from opsguard.pages.details import NODE_ROWS
from evaluator.policy import parse_policy
from tests.service.conftest import sample, wait_reported
from tests.service.test_details_page_browser import ARTIFACTS, run_chromium

pytestmark = pytest.mark.browser
POLICY = """
[protected]
baselines = [90001]
[projects.215001.downstream-blocked]
fail = 500
"""


@pytest.fixture
def frozen(start_server, emulator):
    """A server whose policy protects a baseline and raises one threshold for workspace 215001, after the
    freeze sample was judged and reported."""
    server = start_server(service={"policy": parse_policy(POLICY, "test-policy.toml")})
    assert server.pusher.push(sample("freeze-node")).status_code == 202
    wait_reported(emulator, [sample("freeze-node")["id"]], server=server)
    return server


def signed(server, path: str = "", **extra: str) -> str:
    """A URL opened the way an operator arrives from DataWorks: with the freeze check's signed link."""
    from urllib.parse import urlencode

    mid = sample("freeze-node")["id"]
    return f"{server.url}{path or f'/checks/{mid}'}?" + urlencode({**extra, **{"check": mid}, 
                                                                   **server.service.signer.query(mid)})


def test_docs_page_documents_every_check_with_the_thresholds_in_force(frozen, tmp_path):
    url = signed(frozen, "/docs", project="215001")
    html = run_chromium(tmp_path / "profile", "--dump-dom", url).stdout
    for check in CHECKS:
        section = html.split(f'<section class="check" id="{check_name(check)}">', 1)[1].split("</section>", 1)[0]
        assert "What it measures." in section and "Why it matters." in section, check_name(check)
        assert re.search(r'<ul class="to-pass"><li>.+?</li>', section), check_name(check)
    blocked = html.split('id="downstream-blocked"', 1)[1].split("</section>", 1)[0]
    assert "WARN at ≥ 1 · FAIL at ≥ 200 live descendants" in blocked                 # global
    assert re.search(r'<tr class="selected"><td>workspace 215001</td><td>WARN at ≥ 1 · FAIL at ≥ 500', blocked)
    assert "[projects.215001]" in blocked
    protected = html.split('id="protected-nodes"', 1)[1].split("</section>", 1)[0]
    assert "baselines 90001" in protected and "Ask the platform team" in protected
    assert "Extension options of" in html and "not applied (use_extension_options = false)" in html
    for name in ("evaluation", "policy-options", "not-checked"):
        assert f'id="{name}"' in html

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "docs.png"
    shot.unlink(missing_ok=True)
    run_chromium(tmp_path / "profile", f"--screenshot={shot}", "--window-size=1366,1800", url)
    assert shot.stat().st_size > 20_000


def test_one_check_has_its_own_page_and_an_unknown_one_is_a_404(frozen, tmp_path):
    html = run_chromium(tmp_path / "profile", "--dump-dom", signed(frozen, "/docs/backfill-volume")).stdout
    assert html.count('<section class="check"') == 1 and 'id="backfill-volume"' in html
    assert "Split the backfill into shorter periods" in html
    missing = frozen.pusher.client.get(f"{frozen.url}/docs/no-such-check")
    assert missing.status_code == 404 and 'id="missing"' in missing.text and 'id="backfill-volume"' in missing.text


def test_details_page_links_each_checkpoint_to_its_documentation(frozen, tmp_path):
    mid = sample("freeze-node")["id"]
    html = run_chromium(tmp_path / "profile", "--dump-dom", frozen.service.details_url(mid)).stdout
    table = html.split('id="checkpoints"', 1)[1].split("</table>", 1)[0]
    names = re.findall(r'<a class="doc" href="/docs\?project=215001&amp;check=[^"#]*&amp;sig=[0-9a-f]+#([a-z-]+)"',
                       table)   # the documentation opens for the operator who came by the signed link
    stored = [c["name"] for c in frozen.service.store.verdict(mid).data()["checkpoints"]]
    assert names == stored and "protected-nodes" in names
    assert all(c["doc_url"] == f"/docs#{c['name']}" for c in frozen.service.store.verdict(mid).data()["checkpoints"])


def test_why_shows_the_dependency_path_of_a_deep_node(frozen, tmp_path):
    mid = sample("freeze-node")["id"]
    rows = frozen.pusher.client.get(f"{frozen.url}/api/checks/{mid}").json()["nodes"]["rows"][:NODE_ROWS]
    deep = max(rows, key=lambda r: (r["depth"], -r["node_id"]))
    assert deep["depth"] >= 3

    # the details page: "why?" on the row fetches the path and shows it above the table (#why-<id> clicks it)
    html = run_chromium(tmp_path / "profile", "--virtual-time-budget=10000", "--dump-dom",
                        frozen.service.details_url(mid) + f"#why-{deep['node_id']}").stdout
    assert f'data-node="{deep["node_id"]}"' in html
    chain = re.search(r'<span id="why-chain">(.*?)</span>', html).group(1)
    hops = chain.split(" → ")
    assert len(hops) == deep["depth"] + 1
    assert hops[0] == "ods_trade_order_di [{}]".format(sample("freeze-node")["data"]["nodeIds"][0])
    assert hops[-1].endswith(f"[{deep['node_id']}]") and hops[-2].endswith(f"[{deep['via']}]")

    # the same path as its own page (the link target without JavaScript)
    page = run_chromium(tmp_path / "profile", "--dump-dom", signed(frozen, f"/checks/{mid}/path/{deep['node_id']}")).stdout
    assert page.split('id="path"', 1)[1].count("<tr>") == deep["depth"] + 2   # header + one row per hop
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "details-why-path.png"
    run_chromium(tmp_path / "profile", "--virtual-time-budget=10000", f"--screenshot={shot}",
                 "--window-size=1366,900", frozen.service.details_url(mid) + f"#why-{deep['node_id']}")
    assert shot.stat().st_size > 20_000


def test_a_node_that_is_not_downstream_explains_why_not(frozen):
    mid = sample("freeze-node")["id"]
    outside = frozen.pusher.client.get(f"{frozen.url}/api/checks/{mid}/path/1")
    assert outside.status_code == 404 and "not in snapshot" in outside.json()["error"]
    unknown = frozen.pusher.client.get(f"{frozen.url}/api/checks/no-such-message/path/1")
    assert unknown.status_code == 404 and unknown.json()["error"] == "no check no-such-message"
