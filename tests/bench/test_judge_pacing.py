"""bench/judge_pacing.py: the schedules it judges on (paced batches, back to back) and its per-item CPU figure."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _pacing():
    spec = importlib.util.spec_from_file_location("judge_pacing", BENCH / "judge_pacing.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def _run(batch: int, items: int = 10, rate: float = 100.0) -> tuple[float, _FakeMachine]:
    machine = _FakeMachine()
    ms = _pacing().cpu_ms_per_item(machine.work, list(range(items)), rate, batch, clock=lambda: machine.now,
                                   sleep=machine.sleep, cpu=lambda: machine.cpu)
    return ms, machine


def test_paced_batches_start_batch_over_rate_seconds_apart():
    ms, machine = _run(batch=5)
    assert machine.sleeps == [0.05]
    assert machine.done == [(i, 0.0) for i in range(5)] + [(i, 0.05) for i in range(5, 10)]
    assert ms == pytest.approx(2.0)


def test_one_at_a_time_sleeps_before_every_item_but_the_first():
    _, machine = _run(batch=1, items=4)
    assert machine.sleeps == [0.01, 0.01, 0.01]
    assert [t for _, t in machine.done] == [0.0, 0.01, 0.02, 0.03]


def test_back_to_back_never_sleeps_and_runs_every_item_once():
    ms, machine = _run(batch=_pacing().BACK_TO_BACK)
    assert machine.sleeps == [] and [i for i, _ in machine.done] == list(range(10))
    assert ms == pytest.approx(2.0)
