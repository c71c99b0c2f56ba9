"""Replacement progress as a timeline, and the expected date in working days."""

from __future__ import annotations

import datetime as dt

from kiosk.domain.working_days import add_working_days
from kiosk.services.adapt import ReplacementInfo
from kiosk.services.states import TimelineEntry

PICKUP_ROUTE = ("applied", "in_production", "ready_for_pickup", "collected")
MAIL_ROUTE = ("applied", "in_production", "mailed", "collected")


def expected_date(info: ReplacementInfo, working_days: int) -> dt.date | None:
    """The service's expected date, else ``applied_on`` plus the region's working days."""
    if info.expected_on is not None:
        return info.expected_on
    if info.applied_on is None:
        return None
    return add_working_days(info.applied_on, working_days)


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
