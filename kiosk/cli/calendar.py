"""``kiosk calendar add-working-days|month|check``: the working-day calendar the kiosk and
the sandbox use, with where each day off or make-up day comes from."""

from __future__ import annotations

import argparse
import datetime as dt

from kiosk.calendar_source import ScheduleError, build_calendar, next_year_status, schedule_dir
from kiosk.cli.common import CliError, add_config_argument, settings_from
from kiosk.domain.clock import region_today
from kiosk.domain.working_days import MAX_DAYS, WorkingCalendar

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_DAYS}, got {text!r}")
    return value


def _month(text: str) -> tuple[int, int]:
    try:
        first = dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a month YYYY-MM, got {text!r}") from None
    return first.year, first.month


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("calendar", help="working days: add, show a month, check next year")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add-working-days", help="the date N working days after DATE")
    add.add_argument("start", type=_date, metavar="DATE")
    add.add_argument("days", type=_days, metavar="N")
    month = actions.add_parser("month", help="days off and make-up days in a month")
    month.add_argument("month", type=_month, metavar="YYYY-MM")
    check = actions.add_parser("check", help="is next year's official schedule present?")
    check.add_argument("--today", type=_date, default=None, metavar="DATE",
                       help="check as of this date (default: today in the region's zone)")
    for p in (add, month, check):
        add_config_argument(p)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        calendar = build_calendar(schedule_dir(settings))
    except ScheduleError as exc:
        raise CliError(str(exc), 2) from None
    if args.action == "add-working-days":
        got = calendar.add_working_days(args.start, args.days)
        print(f"about {got.isoformat()} (estimate: {got.source})" if got.is_estimate
              else got.isoformat())
        return 0
    if args.action == "month":
        return _print_month(calendar, *args.month)
    today = args.today or region_today(settings.region.timezone)
    year, present, due = next_year_status(calendar, today)
    if present:
        found = calendar.schedule(year)  # present: not None
        print(f"{year}: official schedule present ({found.source if found else ''})")
        return 0
    where = schedule_dir(settings) / f"cn-{year}.toml"
    if due:
        print(f"{year}: official schedule MISSING; add {where} from the State Council's "
              f"notice (docs/calendar.md); dates in {year} are estimates until then")
        return 1
    print(f"{year}: no official schedule yet (expected in November; needed from "
          f"{today.year}-12-01 in {where})")
    return 0


def _print_month(calendar: WorkingCalendar, year: int, month: int) -> int:
    state = "official" if calendar.is_official(year) else "ESTIMATE"
    schedule = calendar.schedule(year)
    print(f"{year}-{month:02d}: {state} ({schedule.source if schedule else 'no schedule'})")
    rules = calendar.month(year, month)
    if not rules:
        print("  no days off or make-up days: Monday to Friday are working days")
    for r in rules:
        kind = "make-up workday" if r.working else "day off"
        where = r.source.split(" (")[0]  # the file or library; the header cites the notice
        print(f"  {r.day.isoformat()} {WEEKDAYS[r.day.weekday()]}  {kind:<15} "
              f"{r.name}  [{where}]")
    return 0
