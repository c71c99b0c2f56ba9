import datetime as dt

import pytest

from kiosk.domain.working_days import add_working_days, working_days_between


def test_fifteen_working_days_skip_weekends():
    # Monday 2026-11-23 + 15 working days = Monday 2026-12-14.
    assert add_working_days(dt.date(2026, 11, 23), 15) == dt.date(2026, 12, 14)


def test_start_on_saturday():
    assert add_working_days(dt.date(2026, 11, 28), 1) == dt.date(2026, 11, 30)


def test_holidays_and_make_up_days():
    start = dt.date(2026, 9, 30)  # Wednesday before the National Day holiday
    holidays = [dt.date(2026, 10, d) for d in range(1, 9)]
    makeup = [dt.date(2026, 10, 10)]  # a Saturday declared a working day
    assert add_working_days(start, 1, holidays) == dt.date(2026, 10, 9)
    assert add_working_days(start, 2, holidays, makeup) == dt.date(2026, 10, 10)


def test_between_is_the_inverse_of_add():
    start = dt.date(2026, 1, 5)
    for n in (0, 1, 5, 15, 35):
        assert working_days_between(start, add_working_days(start, n)) == n
    assert working_days_between(start, start - dt.timedelta(days=3)) == 0


# --- what the mutation run found untested -----------------------------------------------

def _schedule(year: int, *rules: tuple[dt.date, bool], official: bool = True):
    from kiosk.domain.working_days import DayRule, YearSchedule

    return YearSchedule(year, tuple(DayRule(d, w, "rule") for d, w in rules),
                        f"schedule {year}", official)


def test_the_bound_on_days_is_ten_years_both_ways():
    from kiosk.domain.working_days import MAX_DAYS, WorkingCalendar

    cal = WorkingCalendar()
    assert MAX_DAYS == 3660
    assert cal.add_days(dt.date(2026, 1, 1), MAX_DAYS, working=False).value == \
        dt.date(2026, 1, 1) + dt.timedelta(days=MAX_DAYS)
    for days, working in ((MAX_DAYS + 1, False), (-1, False), (MAX_DAYS + 1, True)):
        with pytest.raises(ValueError, match=r"^days must be between 0 and 3660, got "):
            cal.add_days(dt.date(2026, 1, 1), days, working=working)


def test_calendar_days_are_never_an_estimate_and_say_so():
    from kiosk.domain.working_days import WorkingCalendar

    got = WorkingCalendar().add_days(dt.date(2026, 1, 30), 2, working=False)
    assert (got.value, got.is_estimate, got.source) == (dt.date(2026, 2, 1), False,
                                                         "calendar days")
    assert got.isoformat() == "2026-02-01"


def test_a_year_without_a_schedule_counts_weekdays_and_says_so():
    from kiosk.domain.working_days import WorkingCalendar

    got = WorkingCalendar().add_working_days(dt.date(2031, 1, 2), 1)  # a Thursday
    assert got.value == dt.date(2031, 1, 3) and got.is_estimate
    assert got.source == "weekdays only (no schedule known)"


def test_the_provider_is_asked_for_the_year_and_both_neighbours():
    from kiosk.domain.working_days import WorkingCalendar

    asked: list[int] = []
    spill = _schedule(2027, (dt.date(2026, 12, 31), False))  # next year's rule in 2026
    schedules = {2026: _schedule(2026, (dt.date(2026, 3, 2), False)), 2027: spill}

    def provider(year: int):
        asked.append(year)
        return schedules.get(year)

    cal = WorkingCalendar(provider=provider)
    assert cal.month(2026, 3)[0].day == dt.date(2026, 3, 2)  # month() loads the year
    assert sorted(asked) == [2025, 2026, 2027]
    assert cal.schedule(2026) is schedules[2026]
    assert not cal.is_working_day(dt.date(2026, 12, 31))  # seen from 2027's schedule


def test_the_schedule_of_the_days_own_year_wins():
    from kiosk.domain.working_days import WorkingCalendar

    day = dt.date(2026, 12, 31)  # a Thursday
    own = _schedule(2026, (day, False))
    neighbour = _schedule(2027, (day, True))
    for order in ((own, neighbour), (neighbour, own)):
        assert WorkingCalendar(order).rule(day).working is False


def test_a_day_twice_in_one_schedule_is_refused_by_name():
    with pytest.raises(ValueError, match=r"^schedule 2026: a day appears twice$"):
        _schedule(2026, (dt.date(2026, 1, 1), False), (dt.date(2026, 1, 1), True))


def test_calendar_values_are_immutable():
    import dataclasses

    from kiosk.domain.working_days import CalendarDate, WorkingCalendar

    got = WorkingCalendar().add_days(dt.date(2026, 1, 1), 1, working=False)
    schedule = _schedule(2026, (dt.date(2026, 1, 1), False))
    for value, field in ((got, "value"), (schedule, "year"), (schedule.rules[0], "day")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, field, None)
    assert isinstance(got, CalendarDate)


def test_the_first_ask_for_a_year_returns_its_schedule():
    from kiosk.domain.working_days import WorkingCalendar

    schedule = _schedule(2026, (dt.date(2026, 3, 2), False))
    cal = WorkingCalendar(provider=lambda year: schedule if year == 2026 else None)
    assert cal.schedule(2026) is schedule  # loaded now, under the lock
    assert cal.schedule(2026) is schedule  # and from then on
    assert cal.schedule(2031) is None
