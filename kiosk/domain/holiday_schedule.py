"""The official schedule file: one year's days off and make-up working days, as the State
Council publishes them each November (see docs/calendar.md for the format).

Pure: :func:`parse_schedule` takes the file's parsed TOML and returns a
:class:`~kiosk.domain.working_days.YearSchedule`, or raises :class:`ScheduleError` whose
``str()`` is one line naming the file, the key and the problem. A file is
self-describing (kind, format, country, year, revision, the notice and its address), so
the same check can accept one pushed to a terminal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from kiosk.domain.working_days import DayRule, YearSchedule

KIND = "kiosk.working-day-schedule"
FORMAT = 1
REQUIRED = ("kind", "format", "country", "year", "revision", "status", "authority",
            "notice", "url", "off", "workdays")
MAX_SPAN_DAYS = 14  # the longest official break (Spring Festival, National Day) is 8-9


class ScheduleError(ValueError):
    """A schedule file problem; ``str()`` is one line: file, key, problem."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source, self.key, self.problem = source, key, problem
        super().__init__(f"schedule error in {source}: {key}: {problem}")


def parse_schedule(data: Mapping[str, object], source: str) -> YearSchedule:
    """Validate one schedule file's content; ``source`` names it in errors and results."""
    def fail(key: str, problem: str) -> ScheduleError:
        return ScheduleError(source, key, problem)

    unknown = sorted(set(data) - set(REQUIRED))
    if unknown:
        raise fail(unknown[0], "unknown key")
    for key in REQUIRED:
        if key not in data:
            raise fail(key, "missing")
    if data["kind"] != KIND:
        raise fail("kind", f"expected {KIND!r}, got {data['kind']!r}")
    if data["format"] != FORMAT:
        raise fail("format", f"this kiosk reads format {FORMAT}, got {data['format']!r}")
    if data["country"] != "CN":
        raise fail("country", f"expected 'CN', got {data['country']!r}")
    year, revision = data["year"], data["revision"]
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise fail("year", f"expected a year from 2000 to 2100, got {year!r}")
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 1:
        raise fail("revision", f"expected a whole number from 1, got {revision!r}")
    if data["status"] != "official":
        raise fail("status", f"expected 'official', got {data['status']!r}")
    for key in ("authority", "notice", "url"):
        given = data[key]
        if not isinstance(given, str) or not given.strip():
            raise fail(key, "expected non-empty text")
    url = str(data["url"])
    if not url.startswith("https://"):
        raise fail("url", f"expected an https:// address, got {url!r}")
    cite = f"{source} ({data['notice']}, revision {revision})"
    lo, hi = dt.date(year - 1, 12, 1), dt.date(year + 1, 1, 31)
    rules: dict[dt.date, DayRule] = {}

    def date(key: str, day: object) -> dt.date:
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise fail(key, f"expected a date (YYYY-MM-DD), got {day!r}")
        return day

    def text(key: str, value: object) -> str:
        if not isinstance(value, str):
            raise fail(key, f"expected text, got {value!r}")
        return value

    def add(key: str, day: dt.date, working: bool, name: str) -> None:
        if not lo <= day <= hi:
            raise fail(key, f"{day} is outside {year}")
        if day in rules:
            raise fail(key, f"{day} is listed twice")
        rules[day] = DayRule(day, working, name, cite)

    for i, item in enumerate(_tables(data["off"], "off", fail)):
        key = f"off[{i}]"
        last = item.get("to")
        extra = sorted(set(item) - {"from", "to", "name"})
        if extra:
            raise fail(key, f"unknown key {extra[0]}")
        first = date(f"{key}.from", item.get("from"))
        name = text(f"{key}.name", item.get("name", ""))
        add(f"{key}.from", first, False, name)
        if not isinstance(last, dt.date) or isinstance(last, dt.datetime) \
                or not 0 <= (last - first).days <= MAX_SPAN_DAYS:
            raise fail(f"{key}.to", f"expected a date 0 to {MAX_SPAN_DAYS} days after "
                       f"{first}, got {last!r}")
        for n in range(1, (last - first).days + 1):
            add(f"{key}.to", first + dt.timedelta(days=n), False, name)
    for i, item in enumerate(_tables(data["workdays"], "workdays", fail)):
        key = f"workdays[{i}]"
        extra = sorted(set(item) - {"date", "name"})
        if extra:
            raise fail(key, f"unknown key {extra[0]}")
        day = date(f"{key}.date", item.get("date"))
        add(f"{key}.date", day, True, text(f"{key}.name", item.get("name", "")))
        if day.weekday() < 5:
            raise fail(f"{key}.date", f"{day} is a weekday; a make-up day is a weekend day")
    return YearSchedule(year, tuple(sorted(rules.values(), key=lambda r: r.day)), cite,
                        official=True)


def _tables(value: object, key: str,
            fail: Callable[[str, str], ScheduleError]) -> list[Mapping[str, object]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise fail(key, "expected a list of tables")
    return [v for v in value if isinstance(v, dict)]
