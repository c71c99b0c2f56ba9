"""Where the working-day calendar's data comes from: official schedule files in
``config/holidays/`` first, then the ``holidays`` package (official for the years it has
the State Council's make-up days for, an estimate after that).

The domain's :class:`~kiosk.domain.working_days.WorkingCalendar` stays pure; this module
reads the files and asks the library. Why ``holidays`` and not ``chinese-calendar``:
measured in docs/calendar.md (both right for 2026; ``holidays`` estimates later years
where ``chinese-calendar`` refuses them, and answers a day in 1 µs instead of 22 µs).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from functools import lru_cache
from pathlib import Path

from kiosk.config import DEFAULT_CONFIG, REPO_ROOT, Settings
from kiosk.domain.holiday_schedule import ScheduleError, parse_schedule
from kiosk.domain.working_days import DayRule, WorkingCalendar, YearSchedule

SCHEDULE_DIR = DEFAULT_CONFIG.parent / "holidays"
FILE_NAME = re.compile(r"^cn-(\d{4})\.toml$")


def schedule_dir(settings: Settings | None = None) -> Path:
    """``holidays/`` next to the base config file in effect."""
    if settings is not None and settings.sources:
        return Path(settings.sources[0]).parent / "holidays"
    return SCHEDULE_DIR


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def load_schedules(directory: Path) -> dict[int, YearSchedule]:
    """Every ``cn-<year>.toml`` in ``directory``, validated; raise :class:`ScheduleError`."""
    out: dict[int, YearSchedule] = {}
    if not directory.is_dir():
        return out
    for path in sorted(directory.glob("*.toml")):
        name = _shown(path)
        match = FILE_NAME.match(path.name)
        if not match:
            raise ScheduleError(name, "-", "expected a file name like cn-2027.toml")
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ScheduleError(name, "-", f"not valid TOML ({exc})") from None
        except OSError as exc:
            raise ScheduleError(name, "-", f"cannot be read ({exc.strerror})") from None
        schedule = parse_schedule(data, name)
        if schedule.year != int(match.group(1)):
            raise ScheduleError(name, "year", f"{schedule.year} does not match the file name")
        out[schedule.year] = schedule
    return out


def library_schedule(year: int) -> YearSchedule | None:
    """``year`` from the ``holidays`` package; official while it has that year's make-up
    days (the State Council's notice), an estimate of the statutory days after that."""
    # lazy: 47 ms at import, not needed while config files cover the year.
    import holidays
    from holidays.countries.china import ChinaStaticHolidays

    if not 1950 <= year <= 2100:
        return None
    known = max(ChinaStaticHolidays.special_public_holidays, default=0)
    official = year <= known
    source = f"holidays {holidays.__version__} package" + (
        "" if official else ", estimated (no official schedule yet)")
    cn = holidays.China(years=year, language="zh_CN")
    rules = {d: DayRule(d, False, name, source) for d, name in cn.items() if d.year == year}
    for d in cn.weekend_workdays:
        if d.year == year and d not in rules:
            rules[d] = DayRule(d, True, "调休", source)
    return YearSchedule(year, tuple(sorted(rules.values(), key=lambda r: r.day)), source,
                        official)


def build_calendar(directory: Path | None = None) -> WorkingCalendar:
    """A calendar from the schedule files in ``directory`` (default ``config/holidays``),
    then the library; raises :class:`ScheduleError` for a bad file."""
    files = load_schedules(directory or SCHEDULE_DIR)
    return WorkingCalendar(files.values(), provider=library_schedule)


@lru_cache(maxsize=4)
def _cached(directory: Path) -> WorkingCalendar:
    return build_calendar(directory)


def calendar_for(settings: Settings | None = None) -> WorkingCalendar:
    """The terminal's calendar (built once per schedule directory)."""
    return _cached(schedule_dir(settings))


def next_year_status(calendar: WorkingCalendar, today: dt.date) -> tuple[int, bool, bool]:
    """``(next year, its official schedule is present, the warning is due)``: due from
    December 1, when the State Council has normally published it."""
    year = today.year + 1
    present = calendar.is_official(year)
    return year, present, not present and today >= dt.date(today.year, 12, 1)


__all__ = ["ScheduleError", "build_calendar", "calendar_for", "library_schedule",
           "load_schedules", "next_year_status", "schedule_dir"]
