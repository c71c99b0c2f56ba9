"""The pure working-day calendar: official schedules, make-up days, estimates."""

import datetime as dt

import pytest

from kiosk.domain.working_days import (
    MAX_DAYS,
    WEEKDAYS_ONLY,
    DayRule,
    WorkingCalendar,
    YearSchedule,
)

D = dt.date


def _year(year, off=(), on=(), official=True, source="file"):
    rules = [DayRule(d, False, "off", source) for d in off]
    rules += [DayRule(d, True, "make-up", source) for d in on]
    return YearSchedule(year, tuple(rules), source, official)


# Just the National Day week of 2026 (the notice: Oct 1-7 off, Sat Oct 10 worked).
NATIONAL_DAY = _year(2026, off=[D(2026, 10, d) for d in range(1, 8)],
                     on=[D(2026, 9, 20), D(2026, 10, 10)])


def test_make_up_saturday_counts_and_holidays_do_not():
    cal = WorkingCalendar([NATIONAL_DAY])
    got = cal.add_working_days(D(2026, 9, 28), 15)
    assert got.value == D(2026, 10, 23)
    assert not got.is_estimate and got.source == "file"
    assert cal.is_working_day(D(2026, 10, 10))  # Saturday, worked
    assert not cal.is_working_day(D(2026, 10, 5))  # Monday, off
    # Plain Monday-to-Friday would say 10-19: the defect this calendar fixes.
    assert WorkingCalendar().add_working_days(D(2026, 9, 28), 15).value == D(2026, 10, 19)


def test_a_year_without_official_schedule_is_an_estimate():
    estimated = _year(2027, off=[D(2027, 1, 1)], official=False, source="library estimate")
    cal = WorkingCalendar([NATIONAL_DAY, estimated])
    got = cal.add_working_days(D(2026, 12, 28), 5)
    assert got.value == D(2027, 1, 5)
    assert got.is_estimate
    assert got.source == "file; library estimate"
    assert cal.is_official(2026) and not cal.is_official(2027)


def test_unknown_year_counts_weekdays_and_is_an_estimate():
    got = WorkingCalendar().add_working_days(D(2030, 3, 1), 1)  # Friday → Monday
    assert got.value == D(2030, 3, 4) and got.is_estimate and got.source == WEEKDAYS_ONLY


def test_provider_is_asked_per_year_and_files_win():
    asked = []

    def provider(year):
        asked.append(year)
        return _year(year, off=[D(year, 10, 1), D(year, 10, 2)], official=False,
                     source="library")

    cal = WorkingCalendar([NATIONAL_DAY], provider=provider)
    assert cal.rule(D(2026, 10, 10)).source == "file"  # the file's year, not the library's
    assert cal.rule(D(2028, 10, 2)).source == "library"
    assert 2026 not in asked and asked.count(2028) == 1
    cal.rule(D(2028, 10, 3))
    assert asked.count(2028) == 1  # cached


def test_calendar_days_are_never_an_estimate():
    got = WorkingCalendar().add_days(D(2031, 2, 1), 10, working=False)
    assert got.value == D(2031, 2, 11) and not got.is_estimate


def test_month_lists_off_and_make_up_days_in_order():
    days = WorkingCalendar([NATIONAL_DAY]).month(2026, 10)
    assert [r.day.day for r in days] == [1, 2, 3, 4, 5, 6, 7, 10]
    assert days[-1].working and not days[0].working


def test_between_is_the_inverse_of_add():
    cal = WorkingCalendar([NATIONAL_DAY])
    start = D(2026, 9, 15)
    for n in (0, 1, 5, 15, 35):
        assert cal.working_days_between(start, cal.add_working_days(start, n).value) == n


@pytest.mark.parametrize("days", [-1, MAX_DAYS + 1])
def test_days_out_of_range_are_refused(days):
    with pytest.raises(ValueError, match="days must be between"):
        WorkingCalendar().add_working_days(D(2026, 1, 1), days)


def test_a_day_twice_in_one_schedule_is_refused():
    with pytest.raises(ValueError, match="twice"):
        _year(2026, off=[D(2026, 1, 1)], on=[D(2026, 1, 1)])


def test_threads_sharing_a_calendar_ask_the_provider_once_per_year():
    import threading

    asked = []

    def provider(year):
        asked.append(year)
        return None

    cal = WorkingCalendar(provider=provider)
    threads = [threading.Thread(target=cal.add_working_days, args=(D(2030, 1, 1), 300))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(asked) == [2029, 2030, 2031]
