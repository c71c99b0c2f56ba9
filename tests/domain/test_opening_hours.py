"""Opening hours: parsing (strict), open/closed at the boundaries, the next change, the
working-day calendar (official days off closed, make-up days with weekday hours), and
the region's zone whatever the machine's zone is."""

from __future__ import annotations

import datetime as dt
import time

import pytest

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
