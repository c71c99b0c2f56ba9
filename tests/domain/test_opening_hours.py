"""Opening hours: parsing (strict), open/closed at the boundaries, the next change, the
working-day calendar (official days off closed, make-up days with weekday hours), and
the region's zone whatever the machine's zone is."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.calendar_source import build_calendar
from kiosk.domain.clock import region_now, region_zone
from kiosk.domain.opening_hours import parse_opening_hours

SH = region_zone("Asia/Shanghai")
CAL = build_calendar()  # config/holidays/cn-2026.toml: the State Council's 2026 notice
WEEK = parse_opening_hours(["mon-fri 08:00-12:00 13:30-17:30", "sat 09:00-12:00"])


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, s, tzinfo=SH)


@pytest.mark.parametrize("lines", [
    ["mon-fri 08:00-17:30"], ["MON-FRI 08:00-17:30", "sat,sun 09:00-12:00"],
    ["mon,wed,fri-sat 00:00-24:00"], ["tue 08:00-12:00 12:00-13:00"], []])
def test_valid_lines(lines):
    parse_opening_hours(lines)


@pytest.mark.parametrize("lines,words", [
    (["mon-fri"], "days then time spans"),
    (["monday 08:00-17:30"], "unknown day"),
    (["fri-mon 08:00-17:30"], "runs backwards"),
    (["mon-fri 8:00-17:30"], "time span like"),
    (["mon-fri 08:00-17:30,"], "time span like"),
    (["mon 17:30-08:00"], "ends before it starts"),
    (["mon 08:00-08:00"], "ends before it starts"),
    (["mon 08:00-24:30"], "no such time"),
    (["mon 24:00-24:00"], "no such time"),
    (["mon 08:60-09:00"], "no such time"),
    (["mon-fri 08:00-12:00", "wed 11:00-13:00"], "spans on wed overlap"),
    ([8], "expected text"),
])
def test_malformed_lines_say_what_is_wrong(lines, words):
    with pytest.raises(ValueError, match=words):
        parse_opening_hours(lines)


def test_boundaries_of_a_working_day():
    day = (2026, 12, 1)  # a Tuesday
    assert not WEEK.is_open(at(*day, 7, 59, 59), CAL)
    assert WEEK.is_open(at(*day, 8), CAL)
    assert WEEK.is_open(at(*day, 11, 59, 59), CAL)
    assert not WEEK.is_open(at(*day, 12), CAL)          # lunch
    assert WEEK.is_open(at(*day, 13, 30), CAL)
    assert not WEEK.is_open(at(*day, 17, 30), CAL)
    assert WEEK.next_change(at(*day, 7), CAL) == at(*day, 8)
    assert WEEK.next_change(at(*day, 8), CAL) == at(*day, 12)
    assert WEEK.next_change(at(*day, 12), CAL) == at(*day, 13, 30)
    assert WEEK.next_change(at(*day, 13, 30), CAL) == at(*day, 17, 30)
    assert WEEK.next_change(at(*day, 17, 30), CAL) == at(2026, 12, 2, 8)


def test_weekend_hours_and_over_the_weekend():
    assert WEEK.next_change(at(2026, 12, 4, 18), CAL) == at(2026, 12, 5, 9)     # Fri → Sat
    assert WEEK.next_change(at(2026, 12, 5, 12), CAL) == at(2026, 12, 7, 8)     # Sat → Mon
    assert not WEEK.is_open(at(2026, 12, 6, 10), CAL)                           # Sunday
    weekdays = parse_opening_hours(["mon-fri 08:00-17:30"])
    assert weekdays.next_change(at(2026, 12, 4, 17, 30), CAL) == at(2026, 12, 7, 8)


def test_official_days_off_are_closed_weekends_included():
    # 国庆节 2026-10-01 (Thursday) to 10-07, the Saturday 10-03 within it.
    assert not WEEK.is_open(at(2026, 10, 1, 10), CAL)
    assert not WEEK.is_open(at(2026, 10, 3, 10), CAL)   # Saturday hours do not apply
    assert WEEK.next_change(at(2026, 9, 30, 17, 30), CAL) == at(2026, 10, 8, 8)
    assert not WEEK.is_open(at(2026, 1, 1, 10), CAL)    # 元旦, a Thursday


def test_make_up_working_days_have_weekday_hours():
    # 2026-10-10 is a Saturday worked (国庆节调休): Monday's hours, not Saturday's.
    assert WEEK.is_open(at(2026, 10, 10, 8, 30), CAL)
    assert WEEK.is_open(at(2026, 10, 10, 16), CAL)
    assert not WEEK.is_open(at(2026, 10, 10, 12, 30), CAL)
    assert WEEK.next_change(at(2026, 10, 9, 17, 30), CAL) == at(2026, 10, 10, 8)
    # 2026-01-04, a Sunday worked: open although Sunday has no hours.
    assert WEEK.is_open(at(2026, 1, 4, 9), CAL)
    # Monday closed: a make-up day takes the first weekday that has hours.
    tue_fri = parse_opening_hours(["tue-fri 10:00-16:00"])
    assert tue_fri.is_open(at(2026, 10, 10, 10), CAL)
    assert not tue_fri.is_open(at(2026, 10, 10, 9), CAL)
    # Without a calendar it is just the week.
    assert not WEEK.is_open(at(2026, 10, 10, 8, 30), None)
    assert WEEK.is_open(at(2026, 10, 1, 10), None)


def test_whole_days_and_midnight():
    hours = parse_opening_hours(["mon-fri 08:00-17:30", "sat-sun 00:00-24:00"])
    assert hours.next_change(at(2026, 12, 4, 18), CAL) == at(2026, 12, 5)      # Sat 00:00
    assert hours.is_open(at(2026, 12, 6, 23, 59, 59), CAL)
    assert hours.next_change(at(2026, 12, 5, 10), CAL) == at(2026, 12, 7)      # Mon 00:00
    assert not hours.is_open(at(2026, 12, 7), CAL)


def test_no_hours_is_always_open():
    hours = parse_opening_hours([])
    assert hours.always and hours.is_open(at(2026, 10, 1, 3), CAL)
    assert hours.next_change(at(2026, 10, 1, 3), CAL) is None


def test_a_closure_longer_than_the_lookahead_has_no_change():
    sundays = parse_opening_hours(["sun 10:00-11:00"])
    # 2026-02-15..23 off (春节), Sundays 15 and 22 inside: next open Sunday is 03-01.
    assert sundays.next_change(at(2026, 2, 9, 12), CAL) is None  # 16 days ahead


@pytest.mark.parametrize("host_tz", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_the_region_zone_decides_not_the_host(monkeypatch, host_tz):
    # 2026-12-01 00:30 UTC is 08:30 in Beijing (no DST there): open.
    instant = dt.datetime(2026, 12, 1, 0, 30, tzinfo=dt.UTC).timestamp()
    monkeypatch.setenv("TZ", host_tz)
    time.tzset()
    try:
        moment = region_now("Asia/Shanghai", instant)
        assert (moment.hour, moment.minute) == (8, 30)
        assert WEEK.is_open(moment, CAL)
        change = WEEK.next_change(moment, CAL)
        assert change is not None and change.timestamp() - instant == 3.5 * 3600
    finally:
        monkeypatch.undo()
        time.tzset()


# --- minute and second edges ---------------------------------------------------------

ODD = parse_opening_hours(["tue 08:05-08:06 13:29-17:31 23:59-24:00"])
TUE = (2026, 12, 1)


@pytest.mark.parametrize("h,mi,s,us,expected", [
    (8, 4, 59, 999_999, False), (8, 5, 0, 0, True), (8, 5, 59, 999_999, True),
    (8, 6, 0, 0, False), (13, 28, 59, 0, False), (13, 29, 0, 0, True),
    (17, 30, 59, 0, True), (17, 31, 0, 0, False), (23, 58, 59, 999_999, False),
    (23, 59, 0, 0, True), (23, 59, 59, 999_999, True), (0, 0, 0, 0, False),
])
def test_open_at_each_second_edge_of_odd_minutes(h, mi, s, us, expected):
    moment = dt.datetime(*TUE, h, mi, s, us, tzinfo=SH)
    assert ODD.is_open(moment, None) is expected


@pytest.mark.parametrize("start,change", [
    ((8, 4, 59, 500_000), (8, 5)), ((8, 5, 0, 0), (8, 6)), ((8, 5, 59, 999_999), (8, 6)),
    ((8, 6, 0, 0), (13, 29)), ((17, 30, 59, 0), (17, 31)), ((17, 31, 0, 0), (23, 59)),
])
def test_the_next_change_is_the_exact_edge(start, change):
    moment = dt.datetime(*TUE, *start, tzinfo=SH)
    assert ODD.next_change(moment, None) == at(*TUE, *change)


def test_a_span_to_midnight_closes_at_the_next_days_midnight():
    assert ODD.next_change(at(*TUE, 23, 59, 30), None) == at(2026, 12, 2)
    assert not ODD.is_open(at(2026, 12, 2), None)


@pytest.mark.parametrize("span,ok", [
    ("00:00-00:01", True), ("08:59-09:00", True), ("23:59-24:00", True),
    ("08:01-08:02", True), ("23:00-23:59", True), ("09:00-08:59", False),
    ("08:01-08:01", False), ("24:00-24:01", False), ("23:60-24:00", False),
    ("00:00-24:01", False), ("0800-0900", False), ("08:00-09:00:00", False),
])
def test_spans_at_minute_edges(span, ok):
    if ok:
        assert parse_opening_hours([f"mon {span}"]).week[0]
    else:
        with pytest.raises(ValueError):
            parse_opening_hours([f"mon {span}"])


def test_spans_that_touch_do_not_overlap_and_one_minute_of_overlap_does():
    touching = parse_opening_hours(["mon 08:00-12:01 12:01-13:00"])
    assert touching.week[0] == ((8 * 3600, 12 * 3600 + 60), (12 * 3600 + 60, 13 * 3600))
    with pytest.raises(ValueError, match="overlap"):
        parse_opening_hours(["mon 08:00-12:01 12:00-13:00"])


_MINUTES = st.integers(0, 24 * 60)


@st.composite
def day_spans(draw: st.DrawFn) -> list[tuple[int, int]]:
    edges = sorted(draw(st.sets(_MINUTES, min_size=2, max_size=8)))
    if len(edges) % 2:
        edges = edges[:-1]
    return [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2)]


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@settings(max_examples=200, deadline=None, database=None)
@given(day_spans(), st.integers(0, 86_399), st.integers(0, 999_999))
def test_open_exactly_within_the_spans_to_the_second(spans, second, micro):
    hours = parse_opening_hours(["tue " + " ".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in spans)])
    moment = dt.datetime.combine(dt.date(*TUE), dt.time(), SH) + dt.timedelta(
        seconds=second, microseconds=micro)
    inside = any(a * 60 <= second < b * 60 for a, b in spans)
    assert hours.is_open(moment, None) is inside
    change = hours.next_change(moment, None)
    assert change is not None and change > moment
    # It flips exactly there: still as it was one microsecond before.
    assert hours.is_open(change, None) is not inside
    assert hours.is_open(change - dt.timedelta(microseconds=1), None) is inside
    assert change.second == 0 and change.microsecond == 0


# --- what the mutation run found untested -----------------------------------------------

def _calendar_with_days_off(first: dt.date, count: int):
    from kiosk.domain.working_days import DayRule, WorkingCalendar, YearSchedule

    days = [first + dt.timedelta(days=i) for i in range(count)]
    rules = tuple(DayRule(d, working=False, name="closure") for d in days)
    return WorkingCalendar([YearSchedule(first.year, rules, "test", official=True)])


@pytest.mark.parametrize("closed_days,found", [(15, True), (16, False)])
def test_the_lookahead_is_sixteen_days(closed_days, found):
    daily = parse_opening_hours(["mon-sun 09:00-10:00"])
    start = dt.date(2027, 3, 1)
    cal = _calendar_with_days_off(start + dt.timedelta(days=1), closed_days)
    change = daily.next_change(at(2027, 3, 1, 11), cal)
    reopen = dt.datetime.combine(start + dt.timedelta(days=closed_days + 1),
                                 dt.time(9), SH)
    assert change == (reopen if found else None)


def test_every_day_name_parses():
    hours = parse_opening_hours(["mon,thu 08:00-09:00", "tue-wed 10:00-11:00",
                                 "fri 12:00-13:00", "sat-sun 14:00-15:00"])
    assert [bool(spans) for spans in hours.week] == [True] * 7
    assert hours.week[3] == ((8 * 3600, 9 * 3600),) and hours.always is False


def test_spans_are_kept_in_order_whatever_order_they_are_written_in():
    hours = parse_opening_hours(["mon 13:30-17:30 08:00-12:00"])
    assert hours.week[0] == ((8 * 3600, 12 * 3600), (13.5 * 3600, 17.5 * 3600))
    with pytest.raises(ValueError, match="overlap"):
        parse_opening_hours(["mon 10:00-11:00 08:00-10:30"])


def test_opening_hours_are_immutable():
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        WEEK.always = True  # type: ignore[misc]


@pytest.mark.parametrize("lines,message", [
    (["monday 08:00-17:30"],
     r"^unknown day in 'monday' \(expected e\.g\. mon-fri or sat,sun\)$"),
    (["fri-mon 08:00-17:30"], r"^day range 'fri-mon' runs backwards \(write e\.g\. sat-sun\)$"),
    (["mon 8:00-17:30"], r"^expected a time span like 08:00-17:30, got '8:00-17:30'$"),
    (["mon 08:00-08:60"], r"^no such time in '08:00-08:60'$"),
    (["mon 08:00-25:00"], r"^no such time in '08:00-25:00'$"),
    (["mon 17:30-08:00"],
     r"^'17:30-08:00' ends before it starts \(a span cannot cross midnight\)$"),
])
def test_each_message_says_exactly_what_is_wrong(lines, message):
    with pytest.raises(ValueError, match=message):
        parse_opening_hours(lines)


def test_a_make_up_day_takes_monday_to_friday_hours_never_saturdays():
    saturdays_only = parse_opening_hours(["sat 09:00-12:00"])
    # 2026-10-10 is a Saturday worked (调休): a weekday's hours, and no weekday has any.
    assert not saturdays_only.is_open(at(2026, 10, 10, 10), CAL)
    assert saturdays_only.is_open(at(2026, 10, 17, 10), CAL)  # an ordinary Saturday


def test_open_until_midnight_then_closed_changes_at_midnight():
    hours = parse_opening_hours(["fri 20:00-24:00", "sat 08:00-09:00"])
    assert hours.next_change(at(2026, 12, 4, 21), None) == at(2026, 12, 5)
    late = parse_opening_hours(["fri 20:00-24:00", "sat 00:00-01:00"])
    assert late.next_change(at(2026, 12, 4, 21), None) == at(2026, 12, 5, 1)


def test_built_directly_it_is_not_always_open():
    from kiosk.domain.opening_hours import OpeningHours

    assert OpeningHours(((),) * 7).always is False


@pytest.mark.parametrize("lines,message", [
    ([8], r"^expected text like 'mon-fri 08:00-17:30', got 8$"),
    (["mon-fri"], r"^expected days then time spans, e\.g\. 'mon-fri 08:00-17:30', "
                  r"got 'mon-fri'$"),
])
def test_a_line_that_is_not_days_and_spans(lines, message):
    with pytest.raises(ValueError, match=message):
        parse_opening_hours(lines)
