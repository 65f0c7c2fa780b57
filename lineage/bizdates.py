"""Bizdate periods: DataWorks' inclusive data-timestamp ranges, merged and counted without enumerating them.

Periods may overlap (a bizdate counts once) and may be absurdly long (0001-01-01..9999-12-31): spans are
merged and counted by arithmetic, and only the first `LISTED_BIZDATES` are ever listed one by one.
Day ordinals are used where a date could overflow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["BizdatePeriod", "merge_periods", "bizdate_count", "listed_bizdates", "listed_spans", "LISTED_BIZDATES"]

LISTED_BIZDATES = 3660  # bizdates listed one by one (ten years); counts always cover all of them


@dataclass(frozen=True)
class BizdatePeriod:
    """Bizdates `begin`..`end`, both inclusive.

    >>> len(BizdatePeriod(date(2026, 10, 1), date(2026, 10, 31)).bizdates())
    31
    """

    begin: date
    end: date

    def __post_init__(self) -> None:
        if self.begin > self.end:
            raise ValueError(f"bizdate period begins after it ends: {self.begin} > {self.end}")

    @property
    def days(self) -> int:
        """Number of bizdates in the period (no enumeration)."""
        return (self.end - self.begin).days + 1

    def bizdates(self) -> list[date]:
        """Every bizdate of the period, oldest first (enumerates: see `days` for the count)."""
        return [self.begin + timedelta(days=k) for k in range(self.days)]


def merge_periods(periods: Iterable[BizdatePeriod]) -> tuple[BizdatePeriod, ...]:
    """The bizdates of `periods` as disjoint spans, oldest first (overlapping or adjacent periods joined).

    >>> d = date.fromisoformat
    >>> merge_periods([BizdatePeriod(d("2026-01-05"), d("2026-01-09")), BizdatePeriod(d("2026-01-01"), d("2026-01-04")),
    ...                BizdatePeriod(d("2026-01-07"), d("2026-01-07")), BizdatePeriod(d("2026-02-01"), d("2026-02-01"))])
    (BizdatePeriod(begin=datetime.date(2026, 1, 1), end=datetime.date(2026, 1, 9)), BizdatePeriod(begin=datetime.date(2026, 2, 1), end=datetime.date(2026, 2, 1)))
    """
    spans: list[BizdatePeriod] = []
    for period in sorted(periods, key=lambda p: (p.begin, p.end)):
        if spans and period.begin.toordinal() <= spans[-1].end.toordinal() + 1:  # ordinals: no date overflow
            if period.end > spans[-1].end:
                spans[-1] = BizdatePeriod(spans[-1].begin, period.end)
        else:
            spans.append(period)
    return tuple(spans)


def bizdate_count(periods: Iterable[BizdatePeriod]) -> int:
    """Distinct bizdates over `periods` (overlaps once), by arithmetic.

    >>> bizdate_count([BizdatePeriod(date(1, 1, 1), date(9999, 12, 31))])
    3652059
    """
    return sum(p.days for p in merge_periods(periods))


def listed_spans(spans: tuple[BizdatePeriod, ...], limit: int = LISTED_BIZDATES) -> list[BizdatePeriod]:
    """The first `limit` bizdates of `spans`, as periods."""
    out, left = [], limit
    for p in spans:
        if left <= 0:
            break
        take = min(p.days, left)
        out.append(BizdatePeriod(p.begin, date.fromordinal(p.begin.toordinal() + take - 1)))
        left -= take
    return out


def listed_bizdates(spans: Iterable[BizdatePeriod], limit: int = LISTED_BIZDATES) -> tuple[date, ...]:
    """The first `limit` bizdates of `spans` (disjoint, oldest first: `merge_periods`), one by one.

    >>> listed_bizdates([BizdatePeriod(date(2026, 1, 30), date(9999, 12, 31))], limit=3)
    (datetime.date(2026, 1, 30), datetime.date(2026, 1, 31), datetime.date(2026, 2, 1))
    """
    return tuple(d for p in listed_spans(tuple(spans), limit) for d in p.bizdates())
