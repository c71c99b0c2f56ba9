"""The calendar the kiosk and the sandbox use: the official file, then the library."""

import datetime as dt

import chinese_calendar
import holidays
import pytest

from kiosk.calendar_source import (
    build_calendar,
    calendar_for,
    library_schedule,
    next_year_status,
)
from kiosk.central.sandbox.rules import RegionalRules
from kiosk.domain.holiday_schedule import ScheduleError

D = dt.date


def _days(year):
    day = D(year, 1, 1)
    while day.year == year:
        yield day
        day += dt.timedelta(days=1)


def test_the_2026_file_agrees_with_both_libraries_on_every_day():
    cal = build_calendar()
    cn = holidays.China(years=2026)

    def lib(day):
        return (day.weekday() < 5 or day in cn.weekend_workdays) and day not in cn

    for day in _days(2026):
        assert cal.is_working_day(day) == lib(day) == chinese_calendar.is_workday(day), day


@pytest.mark.parametrize("start, days, expected", [
    (D(2026, 9, 28), 15, D(2026, 10, 23)),  # National Day week; Saturday 10-10 worked
    (D(2026, 2, 10), 15, D(2026, 3, 9)),  # Spring Festival; Saturdays 2-14 and 2-28 worked
    (D(2025, 12, 29), 3, D(2026, 1, 4)),  # New Year 1-3 off, Sunday 01-04 worked
])
def test_official_dates(start, days, expected):
    got = calendar_for().add_working_days(start, days)
    assert (got.value, got.is_estimate) == (expected, False)


def test_2027_without_a_file_is_the_library_estimate():
    got = build_calendar().add_working_days(D(2027, 2, 1), 5)
    assert got.is_estimate and "estimated" in got.source
    assert not library_schedule(2027).official and library_schedule(2026).official
    with pytest.raises(NotImplementedError):  # why not chinese-calendar: it refuses 2027
        chinese_calendar.is_workday(D(2027, 2, 1))


# A made-up schedule for a test year (not the real one): the shape of a pushed file.
TEST_2027 = """
kind = "kiosk.working-day-schedule"
format = 1
country = "CN"
year = 2027
revision = 1
status = "official"
authority = "test"
notice = "test notice"
url = "https://example.invalid/2027"
off = [{ from = 2027-03-01, to = 2027-03-03, name = "test" }]
workdays = [{ date = 2027-03-06, name = "test make-up" }]
"""


def test_a_file_for_a_year_makes_it_official(tmp_path):
    (tmp_path / "cn-2027.toml").write_text(TEST_2027, encoding="utf-8")
    cal = build_calendar(tmp_path)
    assert cal.is_official(2027)
    assert next_year_status(cal, D(2026, 12, 1)) == (2027, True, False)
    got = cal.add_working_days(D(2027, 2, 26), 3)  # Fri; Mar 1-3 off; Sat Mar 6 worked
    assert (got.value, got.is_estimate) == (D(2027, 3, 6), False)
    assert cal.add_working_days(D(2027, 2, 26), 4).value == D(2027, 3, 8)
    assert "test notice" in got.source


@pytest.mark.parametrize("name, text, key", [
    ("cn-2027.toml", "year = ", "-"),
    ("holidays-2027.toml", "", "-"),
    ("cn-2028.toml", None, "year"),
])
def test_bad_files_stop_with_one_line(tmp_path, name, text, key):
    (tmp_path / name).write_text(TEST_2027 if text is None else text, encoding="utf-8")
    with pytest.raises(ScheduleError) as info:
        build_calendar(tmp_path)
    assert info.value.key == key and "\n" not in str(info.value)


def test_next_year_warning_is_due_from_december_first():
    cal = build_calendar()
    assert next_year_status(cal, D(2026, 11, 30)) == (2027, False, False)
    assert next_year_status(cal, D(2026, 12, 1)) == (2027, False, True)
    assert next_year_status(cal, D(2025, 12, 1)) == (2026, True, False)


def test_sandbox_rules_use_the_same_calendar():
    beijing = RegionalRules(lapse_days=10, lapse_working_days=False)
    elsewhere = RegionalRules(lapse_days=15, lapse_working_days=True)
    assert beijing.lapses_on(D(2026, 9, 28)) == D(2026, 10, 8)  # 10 calendar days
    assert elsewhere.lapses_on(D(2026, 9, 28)) == D(2026, 10, 23)  # 15 working days
    assert RegionalRules().expected_on(D(2026, 2, 10), False) == D(2026, 3, 9)
