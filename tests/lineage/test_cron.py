"""DataWorks cron: every documented example, malformed expressions, and a brute-force oracle."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from croniter import CroniterBadDateError, croniter
from hypothesis import strategies as st

from lineage.cron import CronTable, fire_times, fires_on, parse_cron
from lineage.errors import CronError

FRI = date(2026, 11, 20)  # a Friday
MON, TUE = date(2026, 11, 16), date(2026, 11, 17)


def test_daily_fires_once_at_its_time():
    assert fire_times("00 30 05 * * ?", FRI) == (time(5, 30),)


def test_hourly_fires_24_times_at_quarter_past():
    times = fire_times("00 15 * * * ?", FRI)
    assert len(times) == 24 and times[0] == time(0, 15) and times[-1] == time(23, 15)


def test_every_ten_minutes_fires_144_times():
    assert fires_on("00 00/10 * * * ?", FRI) == 144


def test_windowed_every_ten_minutes_from_8_to_17_fires_60_times():
    times = fire_times("00 00-59/10 8-17 * * ?", FRI)
    assert len(times) == 60 and times[0] == time(8, 0) and times[-1] == time(17, 50)


def test_seven_field_form_with_year_wildcard_is_the_same_schedule():
    assert fire_times("00 00-59/10 8-17 * * * ?", FRI) == fire_times("00 00-59/10 8-17 * * ?", FRI)


def test_monthly_fires_on_the_first_only():
    assert fire_times("00 20 00 1 * ?", date(2026, 12, 1)) == (time(0, 20),)
    assert fires_on("00 20 00 1 * ?", date(2026, 12, 2)) == 0


def test_quarterly_fires_on_the_first_of_jan_apr_jul_oct():
    firing = [d for d in (date(2026, m, 1) for m in range(1, 13)) if fires_on("00 10 00 1 1-12/3 ?", d)]
    assert [d.month for d in firing] == [1, 4, 7, 10]
    assert fires_on("00 10 00 1 1-12/3 ?", date(2026, 4, 2)) == 0


def test_weekly_2_and_5_means_tuesday_and_friday_because_1_is_monday():
    week = [MON + timedelta(days=k) for k in range(7)]
    assert [d.strftime("%a") for d in week if fires_on("00 05 00 * * 2,5", d)] == ["Tue", "Fri"]


def test_weekday_7_is_sunday_and_names_are_accepted():
    sunday = date(2026, 11, 22)
    assert fires_on("00 00 01 * * 7", sunday) == 1
    assert fires_on("00 00 01 * * SUN", sunday) == 1
    assert fires_on("00 00 01 * * MON-FRI", sunday) == 0
    assert fires_on("00 00 01 1 JAN ?", date(2027, 1, 1)) == 1


def test_day_of_month_and_weekday_both_restricted_means_both_must_match():
    assert fires_on("00 00 01 20 * 5", FRI) == 1      # the 20th and a Friday
    assert fires_on("00 00 01 20 * 2", FRI) == 0      # the 20th but not a Tuesday
    assert fires_on("00 00 01 17 * 2", TUE) == 1


def test_the_31st_does_not_fire_in_a_30_day_month():
    assert fires_on("00 00 01 31 * ?", date(2026, 11, 30)) == 0


@pytest.mark.parametrize("expression, reason", [
    ("", "empty"),
    ("   ", "empty"),
    ("00 30 05 * *", "expected 6 fields"),
    ("00 30 05 * * ? * 1", "expected 6 fields"),
    ("00 30 05 * * ? 2026", "year field"),
    ("00 60 05 * * ?", "out of range"),
    ("00 30 24 * * ?", "out of range"),
    ("00 30 05 0 * ?", "out of range"),
    ("00 30 05 * 13 ?", "out of range"),
    ("00 30 05 * * 0", "out of range"),
    ("00 30 05 * * 8", "out of range"),
    ("00 00/0 * * * ?", "step"),
    ("00 00/x * * * ?", "step"),
    ("00 00/61 * * * ?", "step"),
    ("00 30-10 * * * ?", "backwards"),
    ("00 3a * * * ?", "bad minute value"),
    ("00 ? * * * ?", "only allowed"),
    ("00 30 05 LW * ?", "bad day-of-month value"),
    ("00 30 05 L-3 * ?", "bad day-of-month value"),
    ("00 30 05 15W * ?", "bad day-of-month value"),
    ("00 30 05 ? * L", "a bare L belongs in the day-of-month field"),
    ("00 30 05 ? * 2#6", "the week after '#' must be 1..5"),
    ("00 30 05 ? * 8L", "out of range"),
    ("00 30 05 ? * 2-", "bad day-of-week value"),
    ("00 30 05 1-L * ?", "bad day-of-month value"),
    ("00 ² 05 * * ?", "bad minute value"),
    ("00 " + "0" * 5000 + " 05 * * ?", "bad minute value"),
    ("00 1,,2 05 * * ?", "bad minute value"),
])
def test_malformed_expressions_raise_cron_error_naming_the_expression(expression, reason):
    with pytest.raises(CronError) as err:
        parse_cron(expression)
    assert reason in str(err.value)
    assert err.value.expression == expression
    assert repr(expression) in str(err.value)


@pytest.mark.parametrize("value", [None, 5, ["00 30 05 * * ?"]])
def test_non_string_expressions_raise_cron_error(value):
    with pytest.raises(CronError, match="expected a string"):
        parse_cron(value)


def test_parsing_is_cached_per_expression():
    assert parse_cron("00 31 05 * * ?") is parse_cron("00 31 05 * * ?")


def test_cron_table_counts_match_fires_on_and_flag_bad_expressions():
    exprs = ["00 30 05 * * ?", "00 05 00 * * 2,5", "00 10 00 1 1-12/3 ?", None, "bad"]
    days = [date(2026, 1, 1) + timedelta(days=k) for k in range(40)]
    table = CronTable.build(exprs)
    counts = table.counts(days)
    for row, expr in enumerate(exprs[:3]):
        assert counts[row].tolist() == [fires_on(expr, d) for d in days]
    assert counts[3:].sum() == 0 and table.valid.tolist() == [True, True, True, False, False]
    assert set(table.errors) == {3, 4}


# -- brute force: scan every minute of the day with a naive, independent field matcher -----------

def _item_matches(item: str, value: int, lo: int, hi: int) -> bool:
    base, _, step = item.partition("/")
    if base in ("*", "?"):
        first, last = lo, hi
    elif "-" in base:
        first, last = (int(x) for x in base.split("-"))
    else:
        first = int(base)
        last = hi if step else first
    return first <= value <= last and (value - first) % int(step or 1) == 0


def _matches(field: str, value: int, lo: int, hi: int) -> bool:
    return any(_item_matches(item, value, lo, hi) for item in field.split(","))


def naive_fire_count(expression: str, day: date) -> int:
    sec, minute, hour, dom, month, dow = expression.split()[:6]
    if not (_matches(month, day.month, 1, 12) and _matches(dom, day.day, 1, 31)
            and _matches(dow, day.isoweekday(), 1, 7)):
        return 0
    per_minute = sum(1 for s in range(60) if _matches(sec, s, 0, 59))
    return per_minute * sum(1 for t in range(24 * 60) if _matches(hour, t // 60, 0, 23)
                            and _matches(minute, t % 60, 0, 59))


def field_text(lo: int, hi: int, *, single_value_spans: bool = True) -> st.SearchStrategy[str]:
    """One cron field: `*`, or a list of values, ranges and steps; `single_value_spans=False` leaves out "a-a"."""
    value = st.integers(lo, hi)
    pairs = st.tuples(value, value)
    span = (pairs if single_value_spans else pairs.filter(lambda ab: ab[0] != ab[1])).map(sorted)
    item = st.one_of(
        value.map(str),
        span.map(lambda ab: f"{ab[0]}-{ab[1]}"),
        st.tuples(value, st.integers(1, hi - lo + 1)).map(lambda t: f"{t[0]}/{t[1]}"),
        st.tuples(span, st.integers(1, hi - lo + 1)).map(lambda t: f"{t[0][0]}-{t[0][1]}/{t[1]}"),
        st.integers(1, hi - lo + 1).map(lambda s: f"*/{s}"),
    )
    return st.one_of(st.just("*"), st.lists(item, min_size=1, max_size=3).map(",".join))


cron_expressions = st.builds(
    lambda s, m, h, dom, mon, dow, q: f"{s} {m} {h} {dom} {mon} {dow}" if not q else f"{s} {m} {h} {dom} {mon} ?",
    st.sampled_from(["0", "00", "30", "0/30"]), field_text(0, 59), field_text(0, 23),
    st.one_of(st.just("?"), field_text(1, 31)), field_text(1, 12), field_text(1, 7), st.booleans())


@settings(max_examples=150, deadline=None)
@given(cron_expressions, st.dates(date(2024, 1, 1), date(2027, 12, 31)))
def test_fire_count_equals_a_brute_force_scan_of_the_day(expression, day):
    expected = naive_fire_count(expression, day)
    assert fires_on(expression, day) == expected
    assert len(fire_times(expression, day)) == expected
    assert CronTable.build([expression]).counts([day]).item() == expected


# -- DataWorks' month-end and week-of-month forms (issue 19.7): counted, never zero runs ----------

def test_L_is_the_last_day_of_each_month_leap_years_included():
    last_days = [d for d in (date(2024, 1, 1) + timedelta(days=k) for k in range(366 + 365))
                 if fires_on("00 00 01 L * ?", d)]
    assert len(last_days) == 24
    assert date(2024, 2, 29) in last_days and date(2025, 2, 28) in last_days
    assert all((d + timedelta(days=1)).day == 1 for d in last_days)


def test_L_in_a_list_with_the_first():
    march = [d.day for d in (date(2026, 3, 1) + timedelta(days=k) for k in range(31)) if fires_on("00 00 01 1,L * ?", d)]
    assert march == [1, 31]


def test_wrapping_weekday_range_six_to_one_is_saturday_sunday_monday():
    week = [MON + timedelta(days=k) for k in range(7)]
    assert [d.strftime("%a") for d in week if fires_on("00 00 01 ? * 6-1", d)] == ["Mon", "Sat", "Sun"]
    assert [d.strftime("%a") for d in week if fires_on("00 00 01 ? * SAT-MON", d)] == ["Mon", "Sat", "Sun"]
    assert parse_cron("00 00 01 ? * 6-2/2").weekdays == (1, 6)   # the step walks the wrapped cycle


def test_last_weekday_and_nth_weekday_of_the_month():
    nov = [date(2026, 11, 1) + timedelta(days=k) for k in range(30)]
    assert [d.day for d in nov if fires_on("00 00 01 ? * 5L", d)] == [27]       # last Friday
    assert [d.day for d in nov if fires_on("00 00 01 ? * FRIL", d)] == [27]
    assert [d.day for d in nov if fires_on("00 00 01 ? * 1#2", d)] == [9]       # second Monday
    assert [d.day for d in nov if fires_on("00 00 01 ? * 1#5", d)] == [30]      # fifth Monday
    assert [d.day for d in nov if fires_on("00 00 01 ? * 2,1#1", d)] == [2, 3, 10, 17, 24]


def test_a_monthly_L_node_is_counted_in_a_backfill_table_not_rejected():
    table = CronTable.build(["00 00 01 L * ?", "00 00 01 ? * 6-1"])
    assert table.valid.tolist() == [True, True] and not table.errors
    days = [date(2026, 1, 1) + timedelta(days=k) for k in range(365)]
    assert table.counts(days).sum(axis=1).tolist() == [12, 3 * 52]   # 2026: 52 of each weekday but Thursday


# -- croniter as an oracle over the forms both dialects share ------------------------------------
# croniter reads five fields (minute hour day month weekday; its 7 and 1..6 are DataWorks' Sunday and
# Monday..Saturday), ORs the two day fields unless day_or=False, writes the last weekday x as "Lx", and
# numbers weekdays 0..6 under a step ("*/3" = Sun, Wed, Sat) where DataWorks means 1..7: the generator
# keeps steps out of the weekday field, and single-value "a-a" ranges out of every field (croniter reads
# those as "every value").

def shared_field_text(lo: int, hi: int) -> st.SearchStrategy[str]:
    return field_text(lo, hi, single_value_spans=False)


def weekday_text() -> st.SearchStrategy[str]:
    day = st.integers(1, 7)
    item = st.one_of(
        day.map(str),
        st.tuples(day, day).filter(lambda ab: ab[0] != ab[1]).map(lambda ab: f"{ab[0]}-{ab[1]}"),  # wraps too
        st.tuples(day, st.integers(1, 5)).map(lambda t: f"{t[0]}#{t[1]}"),
        day.map(lambda d: f"{d}L"),
    )
    return st.one_of(st.just("?"), st.just("*"), item, st.lists(day.map(str), min_size=2, max_size=3).map(",".join))


def month_day_text() -> st.SearchStrategy[str]:
    return st.one_of(st.just("?"), st.just("L"), shared_field_text(1, 31), st.integers(1, 28).map(lambda d: f"{d},L"))


def to_croniter(expression: str) -> str:
    _, minute, hour, dom, month, dow = expression.split()
    dow = "*" if dow == "?" else (f"L{dow[:-1]}" if dow.endswith("L") else dow)
    dom = "*" if dom == "?" else dom
    return f"{minute} {hour} {dom} {month} {dow}"


def croniter_fires_on(expression: str, day: date) -> int:
    start = datetime(day.year, day.month, day.day) - timedelta(microseconds=1)
    it = croniter(to_croniter(expression), start, day_or=False, max_years_between_matches=1)
    count = 0
    try:
        while it.get_next(datetime).date() == day:
            count += 1
    except CroniterBadDateError:   # no fire within a year from here: none on `day` either
        pass
    return count


dataworks_crons = st.builds(
    lambda m, h, dom, mon, dow: f"00 {m} {h} {dom} {mon} {dow}",
    shared_field_text(0, 59), shared_field_text(0, 23), month_day_text(), shared_field_text(1, 12), weekday_text(),
).filter(lambda e: not (e.split()[3] == "?" and e.split()[5] == "?"))


@settings(max_examples=200, deadline=None)
@given(dataworks_crons, st.dates(date(2023, 1, 1), date(2029, 12, 31)))
def test_fire_count_matches_croniter(expression, day):
    expected = croniter_fires_on(expression, day)
    assert fires_on(expression, day) == expected, to_croniter(expression)
    assert CronTable.build([expression]).counts([day]).item() == expected
