"""evaluator.verdict: worst status wins; the tip is one short line."""

from __future__ import annotations

from evaluator.verdict import TIP_LIMIT, Checkpoint, Status, make_tip, worst


def test_worst_status_wins():
    assert worst([Status.OK, Status.FAIL, Status.WARN]) is Status.FAIL
    assert worst([]) is Status.OK


def test_tip_lists_the_worst_first_then_the_rest_while_they_fit():
    cps = [Checkpoint("a", Status.WARN, "a warns"), Checkpoint("b", Status.FAIL, "b fails"),
           Checkpoint("c", Status.OK, "c fine")]
    assert make_tip(Status.FAIL, cps) == "FAIL: b fails; a warns"


def test_tip_is_cut_with_a_count_of_what_was_left_out():
    cps = [Checkpoint(str(i), Status.WARN, f"warning number {i} " + "y" * 80) for i in range(6)]
    tip = make_tip(Status.WARN, cps)
    assert len(tip) <= TIP_LIMIT and tip.startswith("WARNING: warning number 0") and tip.endswith("more)")


def test_a_single_overlong_message_is_cut_with_an_ellipsis():
    tip = make_tip(Status.FAIL, [Checkpoint("a", Status.FAIL, "z" * 1000)])
    assert len(tip) <= TIP_LIMIT and tip.endswith("…")


def test_notes_come_first_and_newlines_never_reach_the_panel():
    tip = make_tip(Status.WARN, [Checkpoint("a", Status.WARN, "two\nlines")], notes=["assumed all"])
    assert tip == "WARNING: assumed all; two lines"
