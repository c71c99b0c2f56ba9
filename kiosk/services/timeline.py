"""Replacement progress as a timeline, and the expected date in working days."""

from __future__ import annotations

from kiosk.domain.working_days import CalendarDate, WorkingCalendar
from kiosk.services.adapt import ReplacementInfo
from kiosk.services.states import TimelineEntry

PICKUP_ROUTE = ("applied", "in_production", "ready_for_pickup", "collected")
MAIL_ROUTE = ("applied", "in_production", "mailed", "collected")


def expected_date(info: ReplacementInfo, working_days: int,
                  calendar: WorkingCalendar) -> CalendarDate | None:
    """The service's expected date (it wins), else ``applied_on`` plus the region's working
    days in the official calendar: a local fallback, always shown as an estimate."""
    if info.expected_on is not None:
        return CalendarDate(info.expected_on, False, "central")
    if info.applied_on is None:
        return None
    local = calendar.add_working_days(info.applied_on, working_days)
    return CalendarDate(local.value, True, local.source)


def build_timeline(info: ReplacementInfo) -> tuple[TimelineEntry, ...]:
    """The route's stages with done/current flags and the dates known from history."""
    route = MAIL_ROUTE if info.mailed or info.stage == "mailed" else PICKUP_ROUTE
    current = route.index(info.stage) if info.stage in route else 0
    dates = dict(info.history)
    dates.setdefault("applied", info.applied_on)
    if info.ready_since is not None:
        dates.setdefault("ready_for_pickup", info.ready_since)
    out = []
    for i, stage in enumerate(route):
        done = i < current or (stage == "collected" and info.stage == "collected")
        out.append(TimelineEntry(stage=stage, label_key=f"journeys.status.stage.{stage}",
                                 done=done, current=i == current and not done,
                                 on=dates.get(stage) if i <= current else None))
    return tuple(out)
