"""Times and dates in the region's time zone, whatever the machine's zone is.

Everything a person reads (the "stopped at" time, receipts, reference dates, the day a
date is counted from) goes through here. A naive datetime is taken to be region wall
time already; an aware one is converted. Pure apart from reading the clock in
:func:`region_now`, which takes the instant as an argument in tests.
"""

from __future__ import annotations

import datetime as dt
import time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Shanghai"
TIME_FORMAT = "%Y-%m-%d %H:%M"


@lru_cache(maxsize=8)
def region_zone(name: str = DEFAULT_TIMEZONE) -> ZoneInfo:
    """The zone called ``name`` (IANA, e.g. ``Asia/Shanghai``); ValueError if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {name!r}") from None


def _zone(tz: str | dt.tzinfo) -> dt.tzinfo:
    return region_zone(tz) if isinstance(tz, str) else tz


def to_region(moment: dt.datetime, tz: str | dt.tzinfo = DEFAULT_TIMEZONE) -> dt.datetime:
    """``moment`` in the region's zone (naive = already region wall time)."""
    zone = _zone(tz)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def region_now(tz: str | dt.tzinfo = DEFAULT_TIMEZONE, at: float | None = None) -> dt.datetime:
    """Now (or the POSIX instant ``at``) as an aware datetime in the region's zone."""
    return dt.datetime.fromtimestamp(time.time() if at is None else at, _zone(tz))


def region_today(tz: str | dt.tzinfo = DEFAULT_TIMEZONE, at: float | None = None) -> dt.date:
    """Today's date in the region (in Beijing it is already tomorrow at 16:00 UTC)."""
    return region_now(tz, at).date()


def region_date(moment: dt.datetime, tz: str | dt.tzinfo = DEFAULT_TIMEZONE) -> dt.date:
    """The region's calendar date at ``moment``."""
    return to_region(moment, tz).date()


def format_time(moment: dt.datetime, tz: str | dt.tzinfo = DEFAULT_TIMEZONE) -> str:
    """``YYYY-MM-DD HH:MM`` in the region's zone, as shown on screen and on receipts."""
    return to_region(moment, tz).strftime(TIME_FORMAT)
