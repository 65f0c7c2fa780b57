"""DataWorks cron expressions → fire times on a run date.

DataWorks writes Quartz-like crons with a leading seconds field (REFERENCE.md §4):
``sec min hour day-of-month month day-of-week [year]``. Each field takes ``*``, a number, a range
``a-b``, a step ``a/b`` / ``*/b`` / ``a-b/c``, or a comma list of those; month and weekday names
(``JAN``, ``MON``) are accepted too. ``?`` means "no restriction" and is allowed in the day fields and
the year. Weekdays follow DataWorks, **1 = Monday … 7 = Sunday** (Quartz says 1 = Sunday). The year
field, when present, must be ``*`` or ``?`` (any other year restriction is rejected, not ignored).

When both day-of-month and day-of-week are restricted, a date must match **both** (AND). DataWorks
always leaves one of them ``*`` or ``?``, where AND and Quartz/Vixie OR readings agree.

Parsing is cached per distinct expression; fire times and counts per (expression, run date).
`CronTable` evaluates many expressions over many run dates at once with numpy (the backfill path).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache

import numpy as np

from lineage.errors import CronError

__all__ = ["CronSpec", "CronTable", "parse_cron", "fire_times", "fires_on", "fires_over"]

_MONTHS = {name: i for i, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
_WEEKDAYS = {name: i for i, name in enumerate(("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"), start=1)}

# field name, lowest, highest, names, may be "?"
_FIELDS = (
    ("second", 0, 59, None, False),
    ("minute", 0, 59, None, False),
    ("hour", 0, 23, None, False),
    ("day-of-month", 1, 31, None, True),
    ("month", 1, 12, _MONTHS, False),
    ("day-of-week", 1, 7, _WEEKDAYS, True),
)


@dataclass(frozen=True)
class CronSpec:
    """One parsed cron: allowed values per field; `days`/`weekdays` None = any (``*`` or ``?``).

    >>> spec = parse_cron("00 05 00 * * 2,5")
    >>> spec.weekdays, spec.fires_per_day, spec.matches(date(2026, 11, 17))
    ((2, 5), 1, True)
    """

    expression: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: tuple[int, ...] | None
    months: tuple[int, ...]
    weekdays: tuple[int, ...] | None

    @property
    def fires_per_day(self) -> int:
        """Fire times on a run date the cron fires on at all.

        >>> parse_cron("00 00/10 * * * ?").fires_per_day
        144
        """
        return len(self.seconds) * len(self.minutes) * len(self.hours)

    def matches(self, run_date: date) -> bool:
        """Whether the cron fires on `run_date` at all (month, day of month and weekday all allow it).

        >>> parse_cron("00 20 00 1 * ?").matches(date(2026, 11, 2))
        False
        """
        return (run_date.month in self.months
                and (self.days is None or run_date.day in self.days)
                and (self.weekdays is None or run_date.isoweekday() in self.weekdays))

    @property
    def masks(self) -> tuple[int, int, int]:
        """(month, day-of-month, weekday) bit masks: bit v set when value v is allowed."""
        return (_mask(self.months), _mask(self.days or range(1, 32)), _mask(self.weekdays or range(1, 8)))


def _mask(values: Sequence[int] | range) -> int:
    out = 0
    for v in values:
        out |= 1 << v
    return out


def parse_cron(expression: str) -> CronSpec:
    """The parsed form of a DataWorks cron; raises `CronError` naming the expression when malformed.

    >>> parse_cron("00 30 05 * * ?").hours
    (5,)
    >>> parse_cron("00 30 05 * *")
    Traceback (most recent call last):
    ...
    lineage.errors.CronError: bad cron expression '00 30 05 * *': expected 6 fields (7 with a year), got 5
    """
    return _parse(_checked(expression))


def _checked(expression: object) -> str:
    if not isinstance(expression, str):
        raise CronError(repr(expression), f"expected a string, got {type(expression).__name__}")
    return expression


@lru_cache(maxsize=65536)
def _parse(expression: str) -> CronSpec:
    parts = expression.split()
    if not parts:
        raise CronError(expression, "empty expression")
    if len(parts) not in (6, 7):
        raise CronError(expression, f"expected 6 fields (7 with a year), got {len(parts)}")
    if len(parts) == 7 and parts[6] not in ("*", "?"):
        raise CronError(expression, f"year field must be '*' or '?', got {parts[6]!r}")
    values = [_parse_field(expression, text, *spec) for text, spec in zip(parts, _FIELDS)]
    second, minute, hour, days, months, weekdays = values
    assert second is not None and minute is not None and hour is not None and months is not None
    return CronSpec(expression, second, minute, hour, days, months, weekdays)


def _parse_field(expression: str, text: str, name: str, lo: int, hi: int,
                 names: dict[str, int] | None, may_skip: bool) -> tuple[int, ...] | None:
    """Allowed values of one field, or None for "any day" (``*``/``?`` in a day field)."""
    if text == "?":
        if not may_skip:
            raise CronError(expression, f"'?' is only allowed in the day-of-month and day-of-week fields, not {name}")
        return None
    if text == "*" and may_skip:
        return None
    allowed: set[int] = set()
    for item in text.split(","):
        allowed.update(_parse_item(expression, item, name, lo, hi, names))
    return tuple(sorted(allowed))


def _parse_item(expression: str, item: str, name: str, lo: int, hi: int,
                names: dict[str, int] | None) -> range:
    base, slash, step_text = item.partition("/")
    if base in ("*", "?") or (slash and base == ""):
        start, end = lo, hi
    elif "-" in base:
        first, _, last = base.partition("-")
        start, end = _value(expression, first, name, lo, hi, names), _value(expression, last, name, lo, hi, names)
        if start > end:
            raise CronError(expression, f"{name} range {base!r} runs backwards")
    else:
        start = _value(expression, base, name, lo, hi, names)
        end = hi if slash else start
    step = 1
    if slash:
        if not step_text.isdigit() or not 1 <= int(step_text) <= hi - lo + 1:
            raise CronError(expression, f"bad {name} step {step_text!r} (must be 1..{hi - lo + 1})")
        step = int(step_text)
    return range(start, end + 1, step)


def _value(expression: str, text: str, name: str, lo: int, hi: int, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise CronError(expression, f"bad {name} value {text!r}")
    value = int(text)
    if not lo <= value <= hi:
        raise CronError(expression, f"{name} value {value} out of range {lo}-{hi}")
    return value


def fire_times(expression: str, run_date: date) -> tuple[time, ...]:
    """Fire times of `expression` on `run_date`, ascending (empty when it does not fire that day).

    >>> [t.isoformat() for t in fire_times("00 00-59/10 8-17 * * ?", date(2026, 11, 20))][:3]
    ['08:00:00', '08:10:00', '08:20:00']
    """
    return _fire_times(_checked(expression), run_date)


@lru_cache(maxsize=65536)
def _fire_times(expression: str, run_date: date) -> tuple[time, ...]:
    spec = _parse(expression)
    if not spec.matches(run_date):
        return ()
    return tuple(time(h, m, s) for h in spec.hours for m in spec.minutes for s in spec.seconds)


def fires_on(expression: str, run_date: date) -> int:
    """Number of instances `expression` generates on `run_date` (DataWorks weekday 1 = Monday).

    >>> fires_on("00 15 * * * ?", date(2026, 11, 20)), fires_on("00 05 00 * * 2,5", date(2026, 11, 16))
    (24, 0)
    """
    return _fires_on(_checked(expression), run_date)


@lru_cache(maxsize=65536)
def _fires_on(expression: str, run_date: date) -> int:
    spec = _parse(expression)
    return spec.fires_per_day if spec.matches(run_date) else 0


def fires_over(expression: str, run_dates: tuple[date, ...]) -> int:
    """Instances `expression` generates over all of `run_dates` (cached per span: every unfreeze check
    asks about the same few expressions over the same missed days).

    >>> fires_over("00 15 * * * ?", (date(2026, 11, 20), date(2026, 11, 21)))
    48
    """
    return _fires_over(_checked(expression), run_dates)


@lru_cache(maxsize=4096)
def _fires_over(expression: str, run_dates: tuple[date, ...]) -> int:
    return sum(_fires_on(expression, d) for d in run_dates)


@dataclass(frozen=True, eq=False)
class CronTable:
    """Many expressions as mask arrays, so fire counts over many run dates are one numpy expression.

    Expressions that do not parse (or are None) have `valid` False and count 0 fires; `errors`
    maps their row to the reason.

    >>> table = CronTable.build(["00 30 05 * * ?", "00 15 * * * ?", "oops"])
    >>> table.counts([date(2026, 11, 20)]).ravel().tolist(), table.valid.tolist()
    ([1, 24, 0], [True, True, False])
    """

    month_mask: np.ndarray    # int64 per expression, bit m for month m
    day_mask: np.ndarray      # int64, bit d for day of month d
    weekday_mask: np.ndarray  # int64, bit w for DataWorks weekday w (1 = Monday)
    per_day: np.ndarray       # int64 fires on a matching run date
    valid: np.ndarray         # bool
    errors: dict[int, str]

    @classmethod
    def build(cls, expressions: Sequence[str | None]) -> CronTable:
        """Parse each expression once (cached) into the mask arrays."""
        n = len(expressions)
        cols = np.zeros((4, n), dtype=np.int64)
        valid = np.zeros(n, dtype=bool)
        errors: dict[int, str] = {}
        for row, text in enumerate(expressions):
            if text is None:
                errors[row] = "no cron expression"
                continue
            try:
                spec = parse_cron(text)  # cached per distinct expression
            except CronError as exc:
                errors[row] = str(exc)
                continue
            cols[0:3, row] = spec.masks
            cols[3, row] = spec.fires_per_day
            valid[row] = True
        return cls(cols[0], cols[1], cols[2], cols[3], valid, errors)

    def counts(self, run_dates: Sequence[date]) -> np.ndarray:
        """int64 matrix (expression × run date) of fire counts."""
        month = np.array([d.month for d in run_dates], dtype=np.int64)
        day = np.array([d.day for d in run_dates], dtype=np.int64)
        weekday = np.array([d.isoweekday() for d in run_dates], dtype=np.int64)
        on = ((self.month_mask[:, None] >> month) & (self.day_mask[:, None] >> day)
              & (self.weekday_mask[:, None] >> weekday) & 1)
        return on * self.per_day[:, None]
