"""Calendar day classes ("bins"), so counting cron fires over any span of days is arithmetic.

Whether a DataWorks cron fires on a date depends only on the date's month, day of month, weekday and
whether its year is a leap year (which decides the month's last day). Those four make a *bin*; there
are `N_BINS` of them. The Gregorian calendar repeats exactly every 400 years (146,097 days, a whole
number of weeks), so the bin histogram of any run of consecutive days is whole cycles times the
histogram of one cycle plus at most one partial cycle: O(146,097) at worst, however long the span.

Days are proleptic Gregorian ordinals (`date.toordinal()`, 0001-01-01 = 1). An ordinal past
`date.max` (the run date of bizdate 9999-12-31) is still binned, by the 400-year cycle, so no caller
needs date arithmetic that could overflow.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import numpy as np

__all__ = ["N_BINS", "CYCLE_DAYS", "bin_of", "bins_of_run", "bin_histogram", "BIN_MONTH", "BIN_DAY",
           "BIN_WEEKDAY", "BIN_MONTH_LENGTH"]

CYCLE_DAYS = 146_097  # days in 400 Gregorian years; divisible by 7, so weekdays repeat with the cycle too
N_BINS = 12 * 31 * 7 * 2
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _bin(month: np.ndarray | int, day: np.ndarray | int, weekday: np.ndarray | int,
         leap: np.ndarray | int) -> np.ndarray | int:
    return ((month - 1) * 31 + (day - 1)) * 14 + (weekday - 1) * 2 + leap


def _bin_fields() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    b = np.arange(N_BINS, dtype=np.int64)
    leap, weekday = b % 2, (b // 2) % 7 + 1
    day, month = (b // 14) % 31 + 1, b // (14 * 31) + 1
    length = _DAYS_IN_MONTH[month - 1] + ((month == 2) & (leap == 1))
    return month, day, weekday, length


# Per bin: month (1-12), day of month (1-31), DataWorks weekday (1 = Monday), length of its month.
# Bins whose day is past the month's length never occur.
BIN_MONTH, BIN_DAY, BIN_WEEKDAY, BIN_MONTH_LENGTH = _bin_fields()


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def bin_of(day: date) -> int:
    """The bin of one date.

    >>> b = bin_of(date(2024, 2, 29))
    >>> int(BIN_MONTH[b]), int(BIN_DAY[b]), int(BIN_WEEKDAY[b]), int(BIN_MONTH_LENGTH[b])
    (2, 29, 4, 29)
    """
    return int(_bin(day.month, day.day, day.isoweekday(), int(_is_leap(day.year))))


@cache
def _cycle() -> tuple[np.ndarray, np.ndarray]:
    """(bin of each day of the cycle starting 0001-01-01, histogram of the whole cycle)."""
    days = np.arange(CYCLE_DAYS, dtype=np.int64) + (date(1, 1, 1) - date(1970, 1, 1)).days
    stamps = days.astype("datetime64[D]")
    years = stamps.astype("datetime64[Y]")
    months = stamps.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    day = (stamps - months.astype("datetime64[D]")).astype(np.int64) + 1
    weekday = (days + 3) % 7 + 1                      # 1970-01-01 was a Thursday (4)
    leap = ((year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))).astype(np.int64)
    bins = _bin(month, day, weekday, leap).astype(np.int32)
    bins.setflags(write=False)
    hist = np.bincount(bins, minlength=N_BINS).astype(np.int64)
    hist.setflags(write=False)
    return bins, hist


def bins_of_run(first_ordinal: int, days: int) -> np.ndarray:
    """Bins of `days` consecutive days from ordinal `first_ordinal` (for short runs: it lists them).

    >>> bins_of_run(date(2026, 11, 20).toordinal(), 2).tolist() == [bin_of(date(2026, 11, 20)), bin_of(date(2026, 11, 21))]
    True
    """
    bins, _ = _cycle()
    start = (first_ordinal - 1) % CYCLE_DAYS
    index = (start + np.arange(days, dtype=np.int64)) % CYCLE_DAYS
    return bins[index]


def bin_histogram(first_ordinal: int, days: int) -> np.ndarray:
    """How many of `days` consecutive days from ordinal `first_ordinal` fall in each bin (int64, `N_BINS`).

    Whole 400-year cycles are counted by multiplication, so the cost is bounded whatever `days` is.

    >>> h = bin_histogram(date(1, 1, 1).toordinal(), date.max.toordinal() + 1)   # through 10000-01-01
    >>> int(h.sum()), int(h[bin_of(date(2000, 2, 29))]) > 0
    (3652060, True)
    """
    if days <= 0:
        return np.zeros(N_BINS, dtype=np.int64)
    bins, hist = _cycle()
    whole, rest = divmod(days, CYCLE_DAYS)
    out = hist * whole
    start = (first_ordinal - 1) % CYCLE_DAYS
    end = start + rest
    if end <= CYCLE_DAYS:
        out = out + np.bincount(bins[start:end], minlength=N_BINS)
    else:
        out = out + np.bincount(bins[start:], minlength=N_BINS) + np.bincount(bins[:end - CYCLE_DAYS],
                                                                              minlength=N_BINS)
    return out
