"""Cron schedules of generated nodes, in DataWorks syntax, and their fire times.

Every schedule the generator draws fires as an arithmetic progression of minutes within
a run day (``start + j * step`` for ``j < count``), possibly only on some run dates
(weekly, monthly, quarterly). Keeping that structure next to the cron string lets the
history be generated with numpy instead of parsing cron strings per node.

DataWorks syntax (docs/dataworks.md, the cron dialect): leading seconds field, ``?`` for the unused day field,
weekdays 1 = Monday .. 7 = Sunday.

Times: DataWorks in the cn-* regions runs on China Standard Time, so run times are placed
on the run date in UTC+8 (``DATAWORKS_TZ``); the emulator reports ``Bizdate`` as epoch ms of
the bizdate's midnight in that zone, like the real API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import IntEnum

import numpy as np

DATAWORKS_TZ = timezone(timedelta(hours=8), "CST")


class CronKind(IntEnum):
    DAILY = 0
    HOURLY = 1
    EVERY_N_MINUTES = 2
    MINUTE_WINDOW = 3
    WEEKLY = 4
    MONTHLY = 5
    QUARTERLY = 6


#: share of each kind among cycle nodes
KIND_SHARES = {
    CronKind.DAILY: 0.85,
    CronKind.HOURLY: 0.02,
    CronKind.EVERY_N_MINUTES: 0.005,
    CronKind.MINUTE_WINDOW: 0.003,
    CronKind.WEEKLY: 0.062,
    CronKind.MONTHLY: 0.05,
    CronKind.QUARTERLY: 0.01,
}
_MINUTE_STEPS = np.array([10, 15, 20, 30])
_MINUTE_STEP_P = np.array([0.1, 0.15, 0.15, 0.6])
_MONTH_DAYS = np.array([1, 1, 1, 2, 10, 15, 28])


@dataclass(frozen=True)
class Schedules:
    """Per node: cron string and the progression of its fire minutes on a firing run date."""

    cron: list[str]
    kind: np.ndarray  # CronKind values
    start: np.ndarray  # minute of day of the first fire
    step: np.ndarray  # minutes between fires (1 when count == 1)
    count: np.ndarray  # fires on a run date the schedule fires on
    weekdays: np.ndarray  # bit (d-1) set for DataWorks weekday d (WEEKLY)
    month_day: np.ndarray  # day of month (MONTHLY, QUARTERLY)

    def fires_on(self, run_date: date) -> np.ndarray:
        """Number of fire times of each node on ``run_date``."""
        on = np.ones(self.kind.shape[0], dtype=bool)
        weekly = self.kind == CronKind.WEEKLY
        on[weekly] = (self.weekdays[weekly] >> (run_date.isoweekday() - 1)) & 1 == 1
        monthly = (self.kind == CronKind.MONTHLY) | (self.kind == CronKind.QUARTERLY)
        on[monthly] = self.month_day[monthly] == run_date.day
        if run_date.month % 3 != 1:
            on[self.kind == CronKind.QUARTERLY] = False
        return np.where(on, self.count, 0)


def draw_schedules(layer: np.ndarray, rng: np.random.Generator) -> Schedules:
    """Cron mix for nodes at the given layers (0 = root, -1 = MANUAL)."""
    n = layer.shape[0]
    kinds = np.array(list(KIND_SHARES), dtype=np.int8)
    shares = np.array(list(KIND_SHARES.values()))
    kind = rng.choice(kinds, size=n, p=shares / shares.sum()).astype(np.int8)
    kind[layer == 0] = CronKind.DAILY

    # daily-ish time: ODS right after midnight, deeper layers later; ~10% at business hours
    depth = np.maximum(layer, 1).astype(np.int64)
    minute = 5 + depth * 6 + rng.integers(0, 55, size=n)
    late = rng.random(n) < 0.10
    minute[late] = rng.choice([6 * 60, 7 * 60 + 30, 8 * 60, 9 * 60, 12 * 60, 18 * 60], size=int(late.sum()))
    minute[layer == 0] = 0  # root nodes fire at 00:00
    start, step, count = minute.copy(), np.ones(n, dtype=np.int64), np.ones(n, dtype=np.int64)

    hourly = kind == CronKind.HOURLY
    start[hourly] = rng.integers(0, 60, size=int(hourly.sum()))
    step[hourly], count[hourly] = 60, 24

    every = kind == CronKind.EVERY_N_MINUTES
    n_step = rng.choice(_MINUTE_STEPS, size=int(every.sum()), p=_MINUTE_STEP_P)
    start[every], step[every], count[every] = 0, n_step, 1440 // n_step

    window = kind == CronKind.MINUTE_WINDOW
    w_step = rng.choice(_MINUTE_STEPS, size=int(window.sum()), p=_MINUTE_STEP_P)
    h0 = rng.integers(6, 10, size=w_step.size)
    h1 = rng.integers(17, 23, size=w_step.size)
    start[window], step[window], count[window] = h0 * 60, w_step, (h1 - h0 + 1) * (60 // w_step)

    weekdays = np.zeros(n, dtype=np.int64)
    weekly = kind == CronKind.WEEKLY
    first = rng.integers(0, 7, size=int(weekly.sum()))
    second = np.where(rng.random(first.size) < 0.4, (first + 3) % 7, first)
    weekdays[weekly] = (1 << first) | (1 << second)
    month_day = np.zeros(n, dtype=np.int64)
    monthly = kind == CronKind.MONTHLY
    month_day[monthly] = rng.choice(_MONTH_DAYS, size=int(monthly.sum()))
    month_day[kind == CronKind.QUARTERLY] = 1

    crons = _cron_strings(kind, start, step, count, weekdays, month_day, rng.random(n) < 0.3)
    return Schedules(crons, kind, start, step, count, weekdays, month_day)


def _cron_strings(kind: np.ndarray, start: np.ndarray, step: np.ndarray, count: np.ndarray,
                  weekdays: np.ndarray, month_day: np.ndarray, alt: np.ndarray) -> list[str]:
    """Render each schedule in DataWorks cron syntax (``alt`` picks an equivalent spelling)."""
    out: list[str] = []
    cache: dict[tuple, str] = {}
    for key in zip(kind.tolist(), start.tolist(), step.tolist(), count.tolist(),
                   weekdays.tolist(), month_day.tolist(), alt.tolist()):
        text = cache.get(key)
        if text is None:
            text = cache[key] = _cron_string(*key)
        out.append(text)
    return out


def _cron_string(kind: int, start: int, step: int, count: int, weekdays: int, month_day: int,
                 alt: bool) -> str:
    hh, mm = divmod(start, 60)
    if kind == CronKind.HOURLY:
        return f"00 {mm:02d} 00-23/1 * * ?" if alt else f"00 {mm:02d} * * * ?"
    if kind == CronKind.EVERY_N_MINUTES:
        return f"00 00/{step} * * * ?"
    if kind == CronKind.MINUTE_WINDOW:
        last = hh + count * step // 60 - 1
        return f"00 00-59/{step} {hh}-{last} * * ?"
    if kind == CronKind.WEEKLY:
        days = ",".join(str(d + 1) for d in range(7) if weekdays >> d & 1)
        return f"00 {mm:02d} {hh:02d} * * {days}"
    if kind == CronKind.MONTHLY:
        return f"00 {mm:02d} {hh:02d} {month_day} * ?"
    if kind == CronKind.QUARTERLY:
        return f"00 {mm:02d} {hh:02d} 1 1-12/3 ?"
    return f"00 {mm:02d} {hh:02d} * * ?"


def midnight_ms(run_date: date) -> int:
    """Epoch ms of 00:00 of ``run_date`` in DataWorks time (UTC+8).

    >>> midnight_ms(date(2020, 5, 25))  # the SDK's documented Bizdate example
    1590336000000
    """
    return int(datetime(run_date.year, run_date.month, run_date.day, tzinfo=DATAWORKS_TZ).timestamp() * 1000)


def with_daily_time(s: Schedules, i: int, hour: int, minute: int) -> None:
    """Force node ``i`` to a plain daily schedule at ``hour:minute`` (sample nodes)."""
    s.kind[i], s.start[i], s.step[i], s.count[i] = CronKind.DAILY, hour * 60 + minute, 1, 1
    s.weekdays[i] = s.month_day[i] = 0
    s.cron[i] = _cron_string(CronKind.DAILY, hour * 60 + minute, 1, 1, 0, 0, False)
