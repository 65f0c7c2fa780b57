"""Backfill estimates stay bounded and exact on absurd periods (issue 21.1): spans of millennia, bizdate
9999-12-31, periods crossing the Gregorian 400-year cycle; counts equal a day-by-day enumeration."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage import backfill as backfill_module
from lineage.backfill import (LISTED_BIZDATES, BackfillRequest, BizdatePeriod, bizdate_count, estimate_backfill,
                              merge_periods)
from lineage.cron import fires_on
from lineage.daybins import CYCLE_DAYS, bin_histogram, bin_of, bins_of_run
from lineage.graph import LineageGraph

CRONS = {1: "00 05 00 * * ?", 2: "00 15 * * * ?", 3: "00 00 01 L * ?", 4: "00 00 01 ? * 6-1", 5: "00 00 01 29 2 ?",
         6: "00 00 01 ? * 5L", 7: "bad cron"}


def graph() -> LineageGraph:
    nodes = [{"node_id": n, "cron_express": c} for n, c in CRONS.items()]
    return LineageGraph.from_records(nodes, [(1, n) for n in CRONS if n != 1])


def enumerated(periods: list[BizdatePeriod]) -> dict[int, tuple[int, int]]:
    """(run, dry-run) instances per node, by walking every bizdate (the slow, obvious way)."""
    bizdates = sorted({d for p in periods for d in p.bizdates()})
    out = {}
    for node_id, cron in CRONS.items():
        runs = dry = 0
        for bizdate in bizdates:
            # 400 years earlier is the same calendar (leap days included): the run date of 9999-12-31 exists there
            twin = bizdate.replace(year=bizdate.year - 400) if bizdate.year > 9000 else bizdate
            k = fires_on(cron, twin + timedelta(days=1)) if cron != "bad cron" else 1
            runs, dry = runs + k, dry + (k == 0)
        out[node_id] = (runs, dry)
    return out


@pytest.fixture
def enumerated_days(monkeypatch):
    """Counts the bizdates any code enumerates through `BizdatePeriod.bizdates`."""
    seen = []
    original = backfill_module.BizdatePeriod.bizdates

    def counting(self):
        seen.append(self.days)
        return original(self)

    monkeypatch.setattr(backfill_module.BizdatePeriod, "bizdates", counting)
    return seen


def test_a_backfill_of_every_bizdate_there_is_is_counted_without_enumerating_it(enumerated_days):
    everything = BizdatePeriod(date(1, 1, 1), date(9999, 12, 31))
    est = estimate_backfill(graph(), BackfillRequest(1, (everything,)))
    days = 3_652_059
    assert est.bizdate_count == days and est.spans == (everything,)
    per_node = {p.node_id: p for p in est.per_node}
    assert per_node[1].run_instances == days and per_node[2].run_instances == 24 * days
    assert per_node[7].run_instances == days                      # unreadable cron: assumed daily
    assert per_node[3].run_instances == 9999 * 12                 # one per month end (run dates 0001-01-02 ..)
    # busiest: a 29 February that is a Friday (or a Saturday): daily, hourly, month end, 29 Feb, last Friday
    # (or Sat-Mon), the unreadable one; the last Friday and Sat-Mon never fall on one day
    assert est.busiest_bizdate_run_instances == 1 + 24 + 1 + 1 + 1 + 1
    assert len(est.bizdates) == LISTED_BIZDATES == len(est.per_bizdate_run_instances)
    assert sum(enumerated_days) <= LISTED_BIZDATES


def test_bizdate_9999_12_31_runs_on_a_day_date_cannot_hold_and_nothing_overflows():
    last = BizdatePeriod(date(9999, 12, 31), date(9999, 12, 31))
    est = estimate_backfill(graph(), BackfillRequest(1, (last,)))
    per_node = {p.node_id: (p.run_instances, p.dry_run_instances) for p in est.per_node}
    # The run date is 10000-01-01, a Saturday and not a month end (the 400-year cycle says so).
    assert per_node[1] == (1, 0) and per_node[2] == (24, 0) and per_node[4] == (1, 0)
    assert per_node[3] == (0, 1) and per_node[5] == (0, 1)
    assert est.bizdates == (date(9999, 12, 31),) and est.bizdate_count == 1


def test_merge_and_count_periods_by_arithmetic():
    d = date.fromisoformat
    periods = [BizdatePeriod(d("2026-01-01"), d("2026-01-10")), BizdatePeriod(d("2026-01-11"), d("2026-01-11")),
               BizdatePeriod(d("2026-01-05"), d("2026-01-06")), BizdatePeriod(d("9999-12-30"), d("9999-12-31"))]
    assert merge_periods(periods) == (BizdatePeriod(d("2026-01-01"), d("2026-01-11")),
                                      BizdatePeriod(d("9999-12-30"), d("9999-12-31")))
    assert bizdate_count(periods) == 13


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([date(2026, 1, 1), date(2399, 11, 20), date(2400, 2, 20), date(1900, 2, 1),
                                           date(9999, 10, 1)]),
                          st.integers(0, 90), st.integers(0, 120)), min_size=1, max_size=3))
def test_counts_equal_a_day_by_day_enumeration_also_across_the_400_year_cycle(spec):
    periods = []
    for anchor, offset, length in spec:
        begin = date.fromordinal(min(anchor.toordinal() + offset, date.max.toordinal()))
        end = date.fromordinal(min(begin.toordinal() + length, date.max.toordinal()))
        periods.append(BizdatePeriod(begin, end))
    est = estimate_backfill(graph(), BackfillRequest(1, tuple(periods)))
    expected = enumerated(periods)
    assert {p.node_id: (p.run_instances, p.dry_run_instances) for p in est.per_node} == expected
    assert est.run_instance_count == sum(r for r, _ in expected.values())
    assert est.bizdate_count == len({d for p in periods for d in p.bizdates()})
    assert max(est.per_bizdate_run_instances) == est.busiest_bizdate_run_instances


@settings(max_examples=100, deadline=None)
@given(st.integers(1, date.max.toordinal() + 1), st.integers(0, 2 * CYCLE_DAYS + 500))
def test_bin_histogram_equals_binning_every_day(first, days):
    counted = bin_histogram(first, days)
    assert int(counted.sum()) == days
    if days <= 3000:
        listed = bins_of_run(first, days)
        assert counted.tolist() == [int((listed == b).sum()) for b in range(counted.size)]
        real = [date.fromordinal(o) for o in range(first, min(first + days, date.max.toordinal() + 1))]
        assert listed[:len(real)].tolist() == [bin_of(d) for d in real]
