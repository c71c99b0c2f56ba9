import datetime as dt

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
