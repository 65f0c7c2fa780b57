"""The checks list (a filter applied) and the details pages in a real headless Chromium at a laptop's width
(1400 px) and a phone's (390 px), signed in with the UI token as an operator's browser would be: the
layout is measured in the rendered page (no sideways scrolling of the page itself; wide tables scroll in
their own box), the filter shows only matching rows, and each state has one colour across the freeze,
undeploy and backfill pages. Screenshots land in `test-artifacts/`."""

from __future__ import annotations

import json

import pytest

from tests.service.chromium_cdp import Browser
from tests.service.conftest import UI_TOKEN
from tests.service.test_checks_pages import judged  # noqa: F401 — the fixture: a server with five judged checks
from tests.service.test_details_page_browser import ARTIFACTS

pytestmark = pytest.mark.browser
WIDTHS = (1400, 390)

# What the tests measure in the page: the page's own overflow, and each wide box's.
LAYOUT = """JSON.stringify({
  page: document.documentElement.scrollWidth, viewport: window.innerWidth,
  boxes: Array.from(document.querySelectorAll('.scroll, .wide, .svgbox')).map(function (b) {
    var r = b.getBoundingClientRect();
    return {id: (b.querySelector('[id]') || b).id, left: r.left, right: r.right, scroll: b.scrollWidth,
            client: b.clientWidth}; }),
  outside: Array.from(document.querySelectorAll('main *, header *')).filter(function (e) {
    if (e.closest('.scroll, .wide, .svgbox')) { return false; }
    var r = e.getBoundingClientRect(); return r.width > 0 && (r.right > window.innerWidth + 1 || r.left < -1);
  }).map(function (e) { return e.tagName + '#' + e.id + '.' + e.className; }).slice(0, 5)
})"""


@pytest.fixture
def browser(tmp_path):
    with Browser(tmp_path / "profile", headers={"Authorization": f"Bearer {UI_TOKEN}"}) as b:
        yield b


def measure(browser: Browser) -> dict:
    layout = json.loads(browser.evaluate(LAYOUT))
    assert layout["page"] <= layout["viewport"], layout                 # the page never scrolls sideways
    assert not layout["outside"], layout                                 # nothing sticks out of the viewport
    for box in layout["boxes"]:
        assert box["left"] >= -1 and box["right"] <= layout["viewport"] + 1, box   # boxes fit; they scroll inside
    return layout


@pytest.mark.parametrize("width", WIDTHS)
def test_checks_list_with_a_filter(judged, browser, width):  # noqa: F811
    fails = judged.service.store.checks(result="FAIL", project_id=215001, limit=100)
    assert browser.open(f"{judged.url}/checks?result=FAIL&workspace=215001", width) == 200
    rows = browser.evaluate("Array.from(document.querySelectorAll('#checks tbody tr'))"
                            ".map(function (r) { return [r.dataset.result, r.querySelector('.badge').textContent]; })")
    assert rows and len(rows) == len(fails) and all(r == ["FAIL", "FAIL"] for r in rows)
    assert browser.evaluate("document.querySelector('select[name=result]').value") == "FAIL"
    assert browser.evaluate("document.querySelector('input[name=workspace]').value") == "215001"
    layout = measure(browser)
    (table,) = [b for b in layout["boxes"] if b["id"] == "checks"]
    if width == 390:   # the table is wider than a phone: it scrolls in its own box, the page does not
        assert table["scroll"] > table["client"]
    else:
        assert table["scroll"] <= table["client"]
    browser.screenshot(ARTIFACTS / f"checks-filtered-{width}.png")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("check", ["freeze-node", "backfill-data"])
def test_details_page(judged, browser, check, width):  # noqa: F811
    mid = judged.ids[check]
    assert browser.open(f"{judged.url}/checks/{mid}", width) == 200
    headline = browser.evaluate("document.getElementById('headline').textContent")
    assert headline == f"{check} of ods_trade_order_di"
    assert browser.evaluate("document.getElementById('nodes-csv').getAttribute('href')") == f"/checks/{mid}/nodes.csv"
    layout = measure(browser)
    (nodes,) = [b for b in layout["boxes"] if b["id"] == "nodes"]
    assert (nodes["scroll"] > nodes["client"]) == (width == 390)
    if check == "backfill-data":
        assert browser.evaluate("document.getElementById('wall-clock').textContent").startswith("≈")
    browser.screenshot(ARTIFACTS / f"details-{check}-{width}.png")


def test_each_state_has_one_colour_across_freeze_undeploy_and_backfill_pages(judged, browser):  # noqa: F811
    seen: dict[str, set[str]] = {}
    for check in ("freeze-node", "undeploy-node", "backfill-data", "ann"):
        assert browser.open(f"{judged.url}/checks/{judged.ids[check]}", 1400) == 200
        pairs = browser.evaluate("""Array.from(document.querySelectorAll('.badge, .status')).map(function (e) {
            var s = getComputedStyle(e), state = Array.from(e.classList).filter(function (c) {
              return c !== 'badge' && c !== 'status'; })[0];
            return [state, e.classList.contains('badge') ? s.backgroundColor : s.color]; })""")
        for state, colour in pairs:
            seen.setdefault(state, set()).add(colour)
    assert {"OK", "WARN", "FAIL"} <= set(seen), seen                       # the pages show every result
    assert all(len(colours) == 1 for colours in seen.values()), seen       # one colour per state everywhere
    assert len({next(iter(c)) for c in seen.values()}) == len(seen), seen  # and a different one for each
