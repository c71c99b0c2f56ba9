"""Working days as China counts them: Monday to Friday, less the statutory days off, plus
the weekend days declared working (make-up days, 调休).

Pure: :class:`WorkingCalendar` is fed :class:`YearSchedule` values (an official schedule
file, a library's data, or an estimate) and never reads a file or imports a library
itself; ``kiosk.calendar_source`` builds one from config and the ``holidays`` package.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# Nobody asks for more than ten years of working days; a bound keeps a bad input from
# spinning the loop for ever.
MAX_DAYS = 3660
WEEKDAYS_ONLY = "weekdays only (no schedule known)"


@dataclass(frozen=True)
class DayRule:
    """One exception to the Monday-to-Friday week: a day off or a make-up working day."""

    day: dt.date
    working: bool  # True: a weekend day worked (make-up day); False: a day off
    name: str = ""  # e.g. "国庆节"
    source: str = ""  # where the rule came from (file and notice, or library)


@dataclass(frozen=True)
class YearSchedule:
    """A year's days off and make-up days, where they came from, and whether official."""

    year: int
    rules: tuple[DayRule, ...]
    source: str
    official: bool

    def __post_init__(self) -> None:
        days = [r.day for r in self.rules]
        if len(days) != len(set(days)):
            raise ValueError(f"{self.source}: a day appears twice")


@dataclass(frozen=True)
class CalendarDate:
    """A computed date: ``is_estimate`` when any year it spans has no official schedule
    (or when it was computed locally as a fallback); ``source`` says what it rests on."""

    value: dt.date
    is_estimate: bool
    source: str

    def isoformat(self) -> str:
        return self.value.isoformat()


Provider = Callable[[int], YearSchedule | None]


class WorkingCalendar:
    """Working-day arithmetic over given year schedules.

    ``schedules`` win over ``provider`` (asked once per other year, e.g. a library); a
    year neither knows counts Monday to Friday and is never official.
    """

    def __init__(self, schedules: Iterable[YearSchedule] = (),
                 provider: Provider | None = None) -> None:
        self._years: dict[int, YearSchedule | None] = {}
        self._rules: dict[dt.date, DayRule] = {}
        self._provider = provider
        # The kiosk's main thread and the sandbox's request threads share one calendar.
        self._lock = threading.Lock()
        for schedule in schedules:
            self._add(schedule.year, schedule)

    def _add(self, year: int, schedule: YearSchedule | None) -> None:
        self._years[year] = schedule
        for rule in schedule.rules if schedule else ():
            # A rule may fall in the neighbouring year (a make-up day on 12-31); the
            # schedule that owns the date's own year wins.
            if rule.day.year == year or rule.day not in self._rules:
                self._rules[rule.day] = rule

    def schedule(self, year: int) -> YearSchedule | None:
        """The schedule used for ``year`` (None: weekdays only)."""
        if year in self._years:
            return self._years[year]
        with self._lock:
            if year not in self._years:
                self._add(year, self._provider(year) if self._provider else None)
                # Make sure neighbours' rules that spill into this year are seen too.
                for other in (year - 1, year + 1):
                    if other not in self._years and self._provider:
                        self._add(other, self._provider(other))
            return self._years[year]

    def is_official(self, year: int) -> bool:
        """Whether ``year``'s days off come from an official schedule."""
        s = self.schedule(year)
        return bool(s and s.official)

    def rule(self, day: dt.date) -> DayRule | None:
        """The day off or make-up day on ``day``, if any."""
        self.schedule(day.year)
        return self._rules.get(day)

    def is_working_day(self, day: dt.date) -> bool:
        """Monday to Friday unless a day off; a weekend day only as a make-up day."""
        r = self.rule(day)
        return r.working if r is not None else day.weekday() < 5

    def _result(self, start: dt.date, end: dt.date) -> CalendarDate:
        years = range(start.year, max(start, end).year + 1)
        sources = []
        for y in years:
            s = self.schedule(y)
            text = s.source if s else WEEKDAYS_ONLY
            if text not in sources:
                sources.append(text)
        return CalendarDate(end, not all(self.is_official(y) for y in years),
                            "; ".join(sources))

    def add_working_days(self, start: dt.date, days: int) -> CalendarDate:
        """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
        _check_days(days)
        current, remaining = start, days
        while remaining > 0:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return self._result(start, current)

    def add_days(self, start: dt.date, days: int, working: bool) -> CalendarDate:
        """``days`` working days, or calendar days (never an estimate), after ``start``."""
        if working:
            return self.add_working_days(start, days)
        _check_days(days)
        return CalendarDate(start + dt.timedelta(days=days), False, "calendar days")

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if ``end <= start``)."""
        count, current = 0, start
        while current < end:
            current += dt.timedelta(days=1)
            count += self.is_working_day(current)
        return count

    def month(self, year: int, month: int) -> tuple[DayRule, ...]:
        """The days off and make-up days in one month, in date order."""
        first = dt.date(year, month, 1)
        self.schedule(year)
        return tuple(sorted((r for d, r in self._rules.items()
                             if (d.year, d.month) == (first.year, first.month)),
                            key=lambda r: r.day))


def _check_days(days: int) -> None:
    if not 0 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 0 and {MAX_DAYS}, got {days}")


def add_working_days(
    start: dt.date, days: int, holidays: Iterable[dt.date] = (),
    extra_workdays: Iterable[dt.date] = (),
) -> dt.date:
    """The date ``days`` working days after ``start`` with explicit days off and make-up
    days (prefer :class:`WorkingCalendar`, which knows China's schedule)."""
    calendar = WorkingCalendar([_adhoc(holidays, extra_workdays)])
    return calendar.add_working_days(start, days).value


def working_days_between(
    start: dt.date, end: dt.date, holidays: Iterable[dt.date] = (),
    extra_workdays: Iterable[dt.date] = (),
) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if ``end <= start``)."""
    return WorkingCalendar([_adhoc(holidays, extra_workdays)]).working_days_between(start, end)


def _adhoc(holidays: Iterable[dt.date], extra_workdays: Iterable[dt.date]) -> YearSchedule:
    rules = {d: DayRule(d, False) for d in holidays}
    rules.update({d: DayRule(d, True) for d in extra_workdays if d not in rules})
    return YearSchedule(0, tuple(rules.values()), "given", official=False)
