"""DataWorks cron expressions → fire times on a run date.

DataWorks writes Spring-style crons with a leading seconds field (docs/dataworks.md):
``sec min hour day-of-month month day-of-week [year]``. Each field takes ``*``, a number, a range
``a-b``, a step ``a/b`` / ``*/b`` / ``a-b/c``, or a comma list of those; month and weekday names
(``JAN``, ``MON``) are accepted too. ``?`` means "no restriction" and is allowed in the day fields and
the year. Weekdays follow DataWorks, **1 = Monday … 7 = Sunday** (Quartz says 1 = Sunday). The year
field, when present, must be ``*`` or ``?`` (any other year restriction is rejected, not ignored).

DataWorks' extensions for month ends and weeks of the month:
- day of month ``L``: the last day of the month (also in a list: ``1,L``);
- day of week ``xL``: the last weekday x of the month (``5L`` = last Friday); ``x#n``: the n-th weekday
  x of the month (``1#2`` = second Monday, n = 1..5);
- a weekday range may wrap past Sunday: ``6-1`` = Saturday, Sunday, Monday (INFERRED: a step over a
  wrapped range walks the same cycle, ``6-2/2`` = Saturday, Monday).
``W``, ``L-n`` and a bare ``L`` in the day-of-week field are not DataWorks forms: rejected with a reason.

When both day-of-month and day-of-week are restricted, a date must match **both** (AND, as Spring).
DataWorks always leaves one of them ``*`` or ``?``, where AND and Quartz/Vixie OR readings agree.

Parsing is cached per distinct expression; fire times and counts per (expression, run date).
`CronTable` evaluates many expressions over many run dates at once with numpy (the backfill path), and
over whole spans of days arithmetically (`lineage.daybins`): no span is enumerated day by day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache

import numpy as np

from lineage.daybins import BIN_DAY, BIN_MONTH, BIN_MONTH_LENGTH, BIN_WEEKDAY, N_BINS, bin_of
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
_DAY_OF_MONTH, _DAY_OF_WEEK = 3, 5


@dataclass(frozen=True)
class CronSpec:
    """One parsed cron: allowed values per field; `days`/`weekdays` None = any (``*`` or ``?``).

    `last_day` is ``L`` in the day of month; `last_weekdays` the x of ``xL`` and `nth_weekdays` the (x, n)
    of ``x#n`` in the day of week (each also allows the date, beside `days` / `weekdays`).

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
    last_day: bool = False
    last_weekdays: tuple[int, ...] = ()
    nth_weekdays: tuple[tuple[int, int], ...] = ()

    @property
    def fires_per_day(self) -> int:
        """Fire times on a run date the cron fires on at all.

        >>> parse_cron("00 00/10 * * * ?").fires_per_day
        144
        """
        return len(self.seconds) * len(self.minutes) * len(self.hours)

    def matches(self, run_date: date) -> bool:
        """Whether the cron fires on `run_date` at all (month, day of month and weekday all allow it).

        >>> parse_cron("00 20 00 1 * ?").matches(date(2026, 11, 2)), parse_cron("00 20 00 L * ?").matches(date(2024, 2, 29))
        (False, True)
        """
        return bool(self.bin_mask()[bin_of(run_date)])

    def bin_mask(self) -> np.ndarray:
        """Boolean per calendar bin (`lineage.daybins`): does the cron fire on a date of that bin."""
        return _bin_mask(self)


@lru_cache(maxsize=65536)
def _bin_mask(spec: CronSpec) -> np.ndarray:
    month, day, weekday, length = BIN_MONTH, BIN_DAY, BIN_WEEKDAY, BIN_MONTH_LENGTH
    ok = np.isin(month, spec.months) & (day <= length)
    if spec.days is not None:
        ok &= np.isin(day, spec.days) | (spec.last_day & (day == length))
    if spec.weekdays is not None:
        by_week = np.isin(weekday, spec.weekdays)
        by_week |= np.isin(weekday, spec.last_weekdays) & (day + 7 > length)
        for wd, n in spec.nth_weekdays:
            by_week |= (weekday == wd) & ((day - 1) // 7 + 1 == n)
        ok &= by_week
    ok.setflags(write=False)
    return ok


def parse_cron(expression: str) -> CronSpec:
    """The parsed form of a DataWorks cron; raises `CronError` naming the expression when malformed.

    >>> parse_cron("00 30 05 * * ?").hours
    (5,)
    >>> parse_cron("00 00 01 ? * 6-1").weekdays
    (1, 6, 7)
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
    specials: dict[str, object] = {"last_day": False, "last_weekdays": set(), "nth_weekdays": set()}
    values = [_parse_field(expression, text, *spec, position=i, specials=specials)
              for i, (text, spec) in enumerate(zip(parts, _FIELDS))]
    second, minute, hour, days, months, weekdays = values
    assert second is not None and minute is not None and hour is not None and months is not None
    return CronSpec(expression, second, minute, hour, days, months, weekdays, last_day=bool(specials["last_day"]),
                    last_weekdays=tuple(sorted(specials["last_weekdays"])),  # type: ignore[call-overload]
                    nth_weekdays=tuple(sorted(specials["nth_weekdays"])))  # type: ignore[call-overload]


def _parse_field(expression: str, text: str, name: str, lo: int, hi: int, names: dict[str, int] | None,
                 may_skip: bool, *, position: int, specials: dict[str, object]) -> tuple[int, ...] | None:
    """Allowed values of one field, or None for "any day" (``*``/``?`` in a day field); the DataWorks
    extensions (``L``, ``xL``, ``x#n``) go into `specials`."""
    if text == "?":
        if not may_skip:
            raise CronError(expression, f"'?' is only allowed in the day-of-month and day-of-week fields, not {name}")
        return None
    if text == "*" and may_skip:
        return None
    allowed: set[int] = set()
    for item in text.split(","):
        upper = item.upper()
        if position == _DAY_OF_MONTH and upper == "L":
            specials["last_day"] = True
        elif position == _DAY_OF_WEEK and upper.endswith("L") and len(upper) > 1:
            specials["last_weekdays"].add(_value(expression, item[:-1], name, lo, hi, names))  # type: ignore[attr-defined]
        elif position == _DAY_OF_WEEK and "#" in item:
            weekday, _, nth = item.partition("#")
            if not _digits(nth) or not 1 <= int(nth) <= 5:
                raise CronError(expression, f"bad {name} value {item!r}: the week after '#' must be 1..5")
            specials["nth_weekdays"].add((_value(expression, weekday, name, lo, hi, names), int(nth)))  # type: ignore[attr-defined]
        elif upper == "L":
            raise CronError(expression, f"bad {name} value 'L': a bare L belongs in the day-of-month field "
                                        "(in the day-of-week field write xL, e.g. 5L for the last Friday)")
        else:
            allowed.update(_parse_item(expression, item, name, lo, hi, names, wraps=position == _DAY_OF_WEEK))
    return tuple(sorted(allowed))


def _parse_item(expression: str, item: str, name: str, lo: int, hi: int,
                names: dict[str, int] | None, *, wraps: bool) -> list[int]:
    base, slash, step_text = item.partition("/")
    if base in ("*", "?") or (slash and base == ""):
        start, end = lo, hi
    elif "-" in base:
        first, _, last = base.partition("-")
        start, end = _value(expression, first, name, lo, hi, names), _value(expression, last, name, lo, hi, names)
        if start > end and not wraps:
            raise CronError(expression, f"{name} range {base!r} runs backwards")
    else:
        start = _value(expression, base, name, lo, hi, names)
        end = hi if slash else start
    step = 1
    if slash:
        if not _digits(step_text) or not 1 <= int(step_text) <= hi - lo + 1:
            raise CronError(expression, f"bad {name} step {step_text!r} (must be 1..{hi - lo + 1})")
        step = int(step_text)
    if start <= end:
        return list(range(start, end + 1, step))
    cycle = [*range(start, hi + 1), *range(lo, end + 1)]  # a weekday range wrapping past Sunday
    return cycle[::step]


def _value(expression: str, text: str, name: str, lo: int, hi: int, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not _digits(text):
        raise CronError(expression, f"bad {name} value {text!r}")
    value = int(text)
    if not lo <= value <= hi:
        raise CronError(expression, f"{name} value {value} out of range {lo}-{hi}")
    return value


def _digits(text: str) -> bool:
    """A short run of ASCII digits (``str.isdigit`` also says yes to '²', which `int` refuses)."""
    return 0 < len(text) <= 4 and text.isascii() and text.isdigit()


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
    """Many expressions as rows of calendar-bin patterns, so fire counts over many run dates, or over whole
    spans of days, are one numpy expression.

    Expressions sharing a day pattern (most are daily) share a row of `patterns`; `pattern` maps each
    expression to it. Expressions that do not parse (or are None) have `valid` False and count 0 fires;
    `errors` maps their row to the reason.

    >>> table = CronTable.build(["00 30 05 * * ?", "00 15 * * * ?", "oops"])
    >>> table.counts([date(2026, 11, 20)]).ravel().tolist(), table.valid.tolist()
    ([1, 24, 0], [True, True, False])
    """

    pattern: np.ndarray       # int64 per expression: its row in `patterns` (row 0 = never fires)
    patterns: np.ndarray      # bool (distinct day patterns x N_BINS)
    per_day: np.ndarray       # int64 fires on a matching run date
    valid: np.ndarray         # bool
    errors: dict[int, str]

    @classmethod
    def build(cls, expressions: Sequence[str | None]) -> CronTable:
        """Parse each expression once (cached) into pattern rows."""
        n = len(expressions)
        pattern = np.zeros(n, dtype=np.int64)
        per_day = np.zeros(n, dtype=np.int64)
        valid = np.zeros(n, dtype=bool)
        errors: dict[int, str] = {}
        rows: dict[bytes, int] = {bytes(N_BINS): 0}
        masks = [np.zeros(N_BINS, dtype=bool)]
        for row, text in enumerate(expressions):
            if text is None:
                errors[row] = "no cron expression"
                continue
            try:
                spec = parse_cron(text)  # cached per distinct expression
            except CronError as exc:
                errors[row] = str(exc)
                continue
            mask = spec.bin_mask()
            key = mask.tobytes()
            if key not in rows:
                rows[key] = len(masks)
                masks.append(mask)
            pattern[row], per_day[row], valid[row] = rows[key], spec.fires_per_day, True
        return cls(pattern, np.array(masks, dtype=bool), per_day, valid, errors)

    def counts(self, run_dates: Sequence[date]) -> np.ndarray:
        """int64 matrix (expression × run date) of fire counts."""
        bins = np.array([bin_of(d) for d in run_dates], dtype=np.int64)
        return self.counts_in_bins(bins)

    def counts_in_bins(self, bins: np.ndarray) -> np.ndarray:
        """int64 matrix (expression × bin) of fire counts on a run date of each of `bins`."""
        return self.patterns[self.pattern][:, bins] * self.per_day[:, None]
