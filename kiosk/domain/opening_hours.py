"""Opening hours: when a site is open, as a person reads them on its door.

Written as a list of lines, each days then one or more time spans::

    ["mon-fri 08:00-12:00 13:30-17:30", "sat 09:00-12:00"]

Days are ``mon tue wed thu fri sat sun``, a range (``mon-fri``, never wrapping past
Sunday) or a comma list of both (``mon,wed,fri-sat``); times are ``HH:MM`` wall time in
the region's zone, a span ``start-end`` with start before end (``24:00`` may end one).
Spans of one day must not overlap. An empty list means "always open".

The working-day calendar wins over the week: an official day off is closed all day
(weekend days off included), and a make-up working day (a weekend day worked, 调休)
has a weekday's hours: those of the first of Monday to Friday that has any.

Pure: the calendar is passed in, times are given; nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from kiosk.domain.working_days import WorkingCalendar

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A boundary further ahead than this (a long closure, or hours on no day) is not looked
# for: the caller re-checks by then.
LOOKAHEAD_DAYS = 16
_SPAN = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")

Span = tuple[int, int]  # seconds since local midnight: [start, end)


def _day_set(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        first, sep, last = part.partition("-")
        if first not in DAY_NAMES or (sep and last not in DAY_NAMES):
            raise ValueError(f"unknown day in {text!r} (expected e.g. mon-fri or sat,sun)")
        a = DAY_NAMES.index(first)
        b = DAY_NAMES.index(last) if sep else a
        if b < a:
            raise ValueError(f"day range {part!r} runs backwards (write e.g. sat-sun)")
        out += range(a, b + 1)
    return out


def _span(text: str) -> Span:
    m = _SPAN.match(text)
    if not m:
        raise ValueError(f"expected a time span like 08:00-17:30, got {text!r}")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise ValueError(f"no such time in {text!r}")
    start, end = (h1 * 60 + m1) * 60, (h2 * 60 + m2) * 60
    if start >= end:
        raise ValueError(f"{text!r} ends before it starts (a span cannot cross midnight)")
    return start, end


@dataclass(frozen=True)
class OpeningHours:
    """Spans per weekday (0 = Monday); ``always`` when none were configured."""

    week: tuple[tuple[Span, ...], ...]
    always: bool = False

    @property
    def workday(self) -> tuple[Span, ...]:
        """A make-up working day's spans: the first of Monday to Friday with any."""
        return next((spans for spans in self.week[:5] if spans), ())

    def spans_on(self, day: dt.date, calendar: WorkingCalendar | None) -> tuple[Span, ...]:
        """The spans ``day`` is open, after the working-day calendar."""
        rule = calendar.rule(day) if calendar is not None else None
        if rule is not None and not rule.working:
            return ()  # an official day off: closed
        if rule is not None and day.weekday() >= 5:
            return self.workday  # a weekend day worked
        return self.week[day.weekday()]

    def is_open(self, moment: dt.datetime, calendar: WorkingCalendar | None) -> bool:
        """Open at ``moment`` (aware, already in the region's zone)."""
        if self.always:
            return True
        t = moment.hour * 3600 + moment.minute * 60 + moment.second
        return any(a <= t < b for a, b in self.spans_on(moment.date(), calendar))

    def next_change(self, moment: dt.datetime,
                    calendar: WorkingCalendar | None) -> dt.datetime | None:
        """The first instant after ``moment`` where open/closed flips, in ``moment``'s
        zone; None when there is none within :data:`LOOKAHEAD_DAYS` (or ``always``)."""
        if self.always:
            return None
        zone = moment.tzinfo
        now_open = self.is_open(moment, calendar)
        day0 = moment.date()
        for offset in range(LOOKAHEAD_DAYS + 1):
            day = day0 + dt.timedelta(days=offset)
            midnight = dt.datetime.combine(day, dt.time(), zone)
            # A change at midnight is the previous day's 24:00 edge (or a span from 00:00).
            edges = sorted({e for span in self.spans_on(day, calendar) for e in span})
            for edge in edges:
                at = midnight + dt.timedelta(seconds=edge)
                if at > moment and self.is_open(at, calendar) != now_open:
                    return at
        return None


def parse_opening_hours(lines: Iterable[str]) -> OpeningHours:
    """Parse the configured lines (module docstring); ValueError names the bad line."""
    week: list[list[Span]] = [[] for _ in DAY_NAMES]
    lines = list(lines)
    for line in lines:
        if not isinstance(line, str):
            raise ValueError(f"expected text like 'mon-fri 08:00-17:30', got {line!r}")
        words = line.lower().split()
        if len(words) < 2:
            raise ValueError(f"expected days then time spans, e.g. 'mon-fri 08:00-17:30', "
                             f"got {line!r}")
        days = _day_set(words[0])
        spans = [_span(w) for w in words[1:]]
        for d in days:
            week[d].extend(spans)
    for d, spans in enumerate(week):
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            if start < end:
                raise ValueError(f"spans on {DAY_NAMES[d]} overlap")
    return OpeningHours(tuple(tuple(s) for s in week), always=not lines)
