"""The "View Documentation" content: every check documents itself, and the thresholds shown are the ones
the policy, its workspace tables and the extension options put in force."""

from __future__ import annotations

import pytest

from evaluator.checks import CHECKS, check_name
from evaluator.checks.doc import OTHER_CHECKPOINTS, check_doc
from opsguard.pages.docs import SETTINGS, docs_view, render_docs
from evaluator.policy import default_policy, parse_policy


def section(view, name):
    return next(s for s in view["sections"] if s["name"] == name)


@pytest.mark.parametrize("check", CHECKS, ids=check_name)
def test_every_check_says_what_it_measures_why_and_how_to_pass(check):
    doc = check_doc(check)
    assert doc.title and doc.measures and doc.why and doc.to_pass and doc.events
    assert doc.unit or doc.settings, "a check is graded by thresholds of a unit or by settings"
    assert set(doc.settings) <= set(SETTINGS)
    assert check_name(check) in default_policy().rules


def test_the_page_covers_every_checkpoint_name_a_verdict_can_have():
    names = [s["name"] for s in docs_view(default_policy(), {})["sections"]]
    assert names == [check_name(c) for c in CHECKS] + list(OTHER_CHECKPOINTS)


def test_workspace_rows_come_from_the_policy_file_and_the_extension_options():
    policy = parse_policy("use_extension_options = true\n[projects.7.backfill-volume]\nwarn = 10\n")
    view = docs_view(policy, {8: '{"backfill.max_run_instances": 99}', 9: "{}"}, project=9)
    rows = {r["scope"]: r for r in section(view, "backfill-volume")["rows"]}
    assert rows["global"]["thresholds"] == "WARN at ≥ 2,000 · FAIL at ≥ 20,000 run instances"
    assert rows["workspace 7"]["source"] == "[projects.7]" and "WARN at ≥ 10" in rows["workspace 7"]["thresholds"]
    assert rows["workspace 8"]["source"] == "extension options" and rows["workspace 8"]["thresholds"] == \
        "FAIL at ≥ 100 run instances"
    assert rows["workspace 9"]["source"] == "same as global" and rows["workspace 9"]["selected"]
    assert "workspace 8" not in {r["scope"] for r in section(view, "downstream-blocked")["rows"]}


def test_options_are_not_applied_unless_enabled_and_invalid_ones_are_named():
    view = docs_view(default_policy(), {8: '{"backfill.max_run_instances": 99}'})
    assert [r["scope"] for r in section(view, "backfill-volume")["rows"]] == ["global"]
    enabled = parse_policy("use_extension_options = true\n")
    broken = docs_view(enabled, {8: "{not json"})
    assert broken["options"]["errors"][0][0] == 8 and "not valid JSON" in broken["options"]["errors"][0][1]


def test_switched_off_rules_and_settings_are_shown_as_such():
    policy = parse_policy('staleness = "2h"\n[other-owners-downstream]\nenabled = false\n'
                          '[projects.5]\non_stale = "FAIL"\n')
    view = docs_view(policy, {})
    assert section(view, "other-owners-downstream")["rows"][0]["thresholds"] == "switched off (enabled = false)"
    fresh = {r["scope"]: r["settings"] for r in section(view, "snapshot-freshness")["rows"]}
    assert fresh == {"global": [("staleness", "2 h"), ("on_stale", "WARN")],
                     "workspace 5": [("staleness", "2 h"), ("on_stale", "FAIL")]}


def test_one_check_page_and_an_unknown_name():
    html = render_docs(default_policy(), {}, name="backfill-span")
    assert html.count('<section class="check"') == 1 and "a span of more than a year" in html
    assert render_docs(default_policy(), {}, name="no-such-check") is None
