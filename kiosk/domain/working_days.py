"""Working-day arithmetic for expected dates (15/35 working days, lapse periods)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


def add_working_days(
    start: dt.date, days: int, holidays: Iterable[dt.date] = (),
    extra_workdays: Iterable[dt.date] = (),
) -> dt.date:
    """The date ``days`` working days after ``start`` (Mon–Fri, less holidays; plus
    weekend days declared working, as Chinese make-up days are)."""
    off = set(holidays)
    on = set(extra_workdays)
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if (current.weekday() < 5 or current in on) and current not in off:
            remaining -= 1
    return current


def working_days_between(
    start: dt.date, end: dt.date, holidays: Iterable[dt.date] = (),
    extra_workdays: Iterable[dt.date] = (),
) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if ``end <= start``)."""
    off = set(holidays)
    on = set(extra_workdays)
    count = 0
    current = start
    while current < end:
        current += dt.timedelta(days=1)
        if (current.weekday() < 5 or current in on) and current not in off:
            count += 1
    return count
