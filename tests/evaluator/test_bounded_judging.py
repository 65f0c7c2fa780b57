"""Judging is bounded and never fails open on absurd requests (issue 21.1): the backfill of every bizdate
there is, and of every node on bizdate 9999-12-31, get a judgement, never a check error turned WARN → OK."""

from __future__ import annotations

import sys

import pytest

from evaluator.checks import CHECKS, SIZE_CHECKS
from evaluator.checks import derived
from evaluator.evaluate import evaluate
from evaluator.events import parse_event
from evaluator.policy import parse_policy
from evaluator.verdict import Status
from tests.evaluator.helpers import NOW, OPERATOR, backfill, graph, node

EVERYTHING = [("0001-01-01", "9999-12-31")]


def wide(n: int = 30):
    """Root 1 with n children: hourly, month-end and weekend nodes among them."""
    crons = ["00 10 00 * * ?", "00 15 * * * ?", "00 00 01 L * ?", "00 00 01 ? * 6-1"]
    nodes = [node(1)] + [node(i, cron_express=crons[i % 4]) for i in range(2, n + 2)]
    return graph(nodes, [(1, i) for i in range(2, n + 2)])


def errors(verdict) -> list[str]:
    return [c.message for c in verdict.checkpoints if "could not be evaluated" in c.message]


def test_a_span_past_the_limit_is_refused_before_anything_is_estimated(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the estimate was computed")

    monkeypatch.setattr(derived, "estimate_backfill", never)
    verdict = evaluate(parse_event(backfill(1, EVERYTHING)), wide(), now=NOW)
    assert verdict.result is Status.FAIL and [c.name for c in verdict.checkpoints] == ["backfill-span"]
    assert verdict.tip == "FAIL: bizdates span 3,652,059 days (0001-01-01 to 9999-12-31) (limit 367)"
    assert verdict.backfill["estimated"] is False and verdict.backfill["bizdate_count"] == 3_652_059
    assert "refused on its size alone" in verdict.notes[0]


@pytest.mark.parametrize("policy", ['[backfill-span]\nenabled = false\n',
                                    f'[backfill-span]\nexempt_operators = ["{OPERATOR}"]\n'])
def test_without_the_span_gate_every_check_still_judges_the_absurd_span_without_an_error(policy):
    verdict = evaluate(parse_event(backfill(1, EVERYTHING, include=[*range(1, 32)])), wide(), parse_policy(policy),
                       now=NOW)
    assert not errors(verdict), errors(verdict)
    assert verdict.result is Status.FAIL and verdict.checkpoint("backfill-volume").status is Status.FAIL
    assert verdict.backfill["bizdate_count"] == 3_652_059 and verdict.backfill["run_instance_count"] > 10**8
    assert verdict.checkpoint("backfill-parallelism").facts["max_run_instances_per_bizdate"] > 0


def test_every_node_on_bizdate_9999_12_31_is_judged_not_errored():
    event = parse_event(backfill(1, [("9999-12-31", "9999-12-31")], startFutureInstanceImmediately=True))
    verdict = evaluate(event, wide(), now=NOW)
    assert not errors(verdict), errors(verdict)
    future = verdict.checkpoint("backfill-future-bizdates")
    assert future.status is Status.WARN and future.facts["future_bizdate_count"] == 1
    assert verdict.backfill["bizdate_count"] == 1 and verdict.backfill["node_count"] == 31


def test_future_bizdates_of_a_huge_span_are_counted_and_listed_capped():
    event = parse_event(backfill(1, [("2026-11-01", "9999-12-31")], startFutureInstanceImmediately=True))
    check = dict(zip((c.__name__ for c in CHECKS), CHECKS))["backfill_future_bizdates"]
    checkpoint = check(event, wide(2), parse_policy(""), NOW)
    today_on = (9999 - 2026) * 365
    assert checkpoint.facts["future_bizdate_count"] > today_on
    assert len(checkpoint.facts["future_bizdates"]) == 3660
    assert "2026-11-20, 2026-11-21, 2026-11-22 +" in checkpoint.message


def test_the_size_checks_are_the_span_check():
    assert {c.__name__ for c in SIZE_CHECKS} == {"backfill_span"} and SIZE_CHECKS <= set(CHECKS)


def test_a_size_check_that_raises_is_an_error_not_a_size_refusal(monkeypatch):
    span = sys.modules["evaluator.checks.backfill_span"]   # the package re-exports the function by that name

    def broken(periods):
        raise RuntimeError("counting broke")

    monkeypatch.setattr(span, "bizdate_count", broken)
    verdict = evaluate(parse_event(backfill(1, [("2026-11-01", "2026-11-02")])), wide(3), now=NOW)
    assert verdict.result is Status.FAIL and "counting broke" in verdict.checkpoint("backfill-span").message
    assert "backfill-volume" in {c.name for c in verdict.checkpoints}
    assert not any("size alone" in n for n in verdict.notes)
