"""The details page in headless Chromium (Debian's `chromium`): the verdict, the node table and the
sub-DAG picture are in the rendered DOM; screenshots land in `test-artifacts/`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.service.conftest import REPO, sample, wait_reported

pytestmark = pytest.mark.browser
ARTIFACTS = REPO / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("Debian's `chromium` is not installed: run scripts/test.sh (it installs it), "
                    "or `apt-get install -y chromium`", pytrace=False)
    return path


def run_chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=90, check=False)


@pytest.fixture
def checked(start_server, emulator, request):
    """A server that judged the freeze and backfill samples. Check pages are opened the way an operator opens
    them from DataWorks, by their signed links; the list page needs a login, which a headless browser has no
    way to type, so the list test runs with the pages open (access is tested in test_access.py)."""
    from opsguard.http.access import AccessPolicy

    server = start_server(access=AccessPolicy(mode="none") if "checks_list" in request.node.name else None)
    for code in ("freeze-node", "backfill-data"):
        assert server.pusher.push(sample(code)).status_code == 202
    wait_reported(emulator, [sample(c)["id"] for c in ("freeze-node", "backfill-data")], server=server)
    return server


def test_freeze_details_page_renders_verdict_node_table_and_subdag(checked, tmp_path):
    url = checked.service.details_url(sample("freeze-node")["id"])   # the signed View Details link
    dom = run_chromium(tmp_path / "profile", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert re.search(r'id="result"[^>]*>FAIL<', html)
    assert re.search(r'id="wire-result">FAIL<', html)
    assert "FAIL: freezing ods_trade_order_di blocks" in html
    rows = re.findall(r"<tr><td class=\"num\" data-v=\"(\d+)\"", html.split('id="nodes"', 1)[1])
    assert len(rows) > 100 and rows[0] == "0" and "1" in rows
    svg = html.split('id="subdag"', 1)[1]
    assert "<svg" in svg and svg.count('class="node changed"') == 1 and "deeper" in svg
    assert "ods_trade_order_di" in svg and "+" in svg and " more" in svg
    assert "downstream-blocked" in html and "baselines-downstream" in html

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "details-freeze-node.png"
    shot.unlink(missing_ok=True)
    result = run_chromium(tmp_path / "profile", f"--screenshot={shot}", "--window-size=1366,900", url)
    assert result.returncode == 0 and shot.stat().st_size > 20_000, result.stderr[-2000:]


def test_backfill_details_page_shows_the_breakdown(checked, tmp_path):
    url = checked.service.details_url(sample("backfill-data")["id"])
    html = run_chromium(tmp_path / "profile", "--dump-dom", url).stdout
    assert re.search(r'id="result"[^>]*>WARN<', html) and re.search(r'id="wire-result">OK<', html)
    breakdown = html.split('id="backfill"', 1)[1]
    assert "instances that run" in breakdown and "estimated compute hours" in breakdown
    assert html.count('class="node selected"') >= 1 and 'class="node stale"' in html
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "details-backfill-data.png"
    run_chromium(tmp_path / "profile", f"--screenshot={shot}", "--window-size=1366,2400", url)
    assert shot.stat().st_size > 20_000


def test_checks_list_links_every_check(checked, tmp_path):
    html = run_chromium(tmp_path / "profile", "--dump-dom", f"{checked.url}/checks").stdout   # (open pages)
    for code in ("freeze-node", "backfill-data"):
        assert f'href="/checks/{sample(code)["id"]}"' in html
    assert html.count('class="badge FAIL"') == 1 and html.count('class="badge WARN"') == 1
