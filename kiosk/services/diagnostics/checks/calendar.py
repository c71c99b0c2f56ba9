"""The working-day calendar: this year's and (from December 1) next year's official
schedule are present, so dates counted on the kiosk are not estimates."""

from __future__ import annotations

import datetime as dt

from kiosk.calendar_source import ScheduleError, build_calendar, next_year_status, schedule_dir
from kiosk.domain.clock import region_today
from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.model import CheckResult, CheckStatus


def check_calendar(ctx: DiagnosticsContext, today: dt.date | None = None) -> CheckResult:
    """Fail on a bad schedule file; warn when this year, or from December 1 next year, has
    no official schedule; ``today`` defaults to today in the region's zone."""
    settings = ctx.settings
    today = today or region_today(settings.region.timezone)
    directory = schedule_dir(settings)
    details: dict[str, object] = {"today": today.isoformat(), "directory": str(directory),
                                  "timezone": settings.region.timezone}
    try:
        calendar = build_calendar(directory)
    except ScheduleError as exc:
        details.update(file=exc.source, field=exc.key, problem=exc.problem)
        return CheckResult("calendar", CheckStatus.FAIL, "diagnostics.calendar.bad_file",
                           details)
    year, present, due = next_year_status(calendar, today)
    this = calendar.schedule(today.year)
    details.update(year=today.year, next_year=year, next_year_official=present,
                   source=this.source if this else "")
    if not calendar.is_official(today.year):
        return CheckResult("calendar", CheckStatus.WARN, "diagnostics.calendar.this_missing",
                           details)
    if due:
        return CheckResult("calendar", CheckStatus.WARN, "diagnostics.calendar.next_missing",
                           details)
    return CheckResult("calendar", CheckStatus.OK, "diagnostics.calendar.ok" if present
                       else "diagnostics.calendar.ok_until_december", details)
