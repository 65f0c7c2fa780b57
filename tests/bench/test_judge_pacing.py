"""bench/judge_pacing.py: the schedules it judges on (paced batches, back to back) and its per-item CPU figure."""

from __future__ import annotations

import pytest


@pytest.fixture
def pacing(bench_module):
    return bench_module("judge_pacing")


class _FakeMachine:
    """A clock that only sleeps move, and a CPU counter that each item's work adds 2 ms to."""

    def __init__(self) -> None:
        self.now, self.cpu, self.sleeps, self.done = 0.0, 0.0, [], []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 9))
        self.now += seconds

    def work(self, item: int) -> None:
        self.done.append((item, round(self.now, 9)))
        self.cpu += 0.002


def _run(pacing, batch: int, items: int = 10, rate: float = 100.0) -> tuple[float, _FakeMachine]:
    machine = _FakeMachine()
    ms = pacing.cpu_ms_per_item(machine.work, list(range(items)), rate, batch, clock=lambda: machine.now,
                                sleep=machine.sleep, cpu=lambda: machine.cpu)
    return ms, machine


def test_paced_batches_start_batch_over_rate_seconds_apart(pacing):
    ms, machine = _run(pacing, batch=5)
    assert machine.sleeps == [0.05]
    assert machine.done == [(i, 0.0) for i in range(5)] + [(i, 0.05) for i in range(5, 10)]
    assert ms == pytest.approx(2.0)


def test_one_at_a_time_sleeps_before_every_item_but_the_first(pacing):
    _, machine = _run(pacing, batch=1, items=4)
    assert machine.sleeps == [0.01, 0.01, 0.01]
    assert [t for _, t in machine.done] == [0.0, 0.01, 0.02, 0.03]


def test_back_to_back_never_sleeps_and_runs_every_item_once(pacing):
    ms, machine = _run(pacing, batch=pacing.BACK_TO_BACK)
    assert machine.sleeps == [] and [i for i, _ in machine.done] == list(range(10))
    assert ms == pytest.approx(2.0)
