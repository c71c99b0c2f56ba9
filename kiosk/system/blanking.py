"""Screen blanking and DPMS of the X server (``xset``, Debian package x11-xserver-utils),
by opening hours: inside them ``display.blank_seconds`` (0 = never), outside them
``display.blank_seconds_closed``. A touch wakes the screen; the kiosk stays usable.

:class:`BlankingSchedule` applies the setting for now and sets one timer for the next
opening/closing boundary (the app passes Kivy's ``Clock.schedule_once``), where it
applies again. Every wait is bounded by :data:`MAX_WAIT_S`, so a clock set forward or
back, or a year's calendar arriving, is noticed within that.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from typing import Protocol

from kiosk.calendar_source import calendar_for
from kiosk.config import Settings
from kiosk.domain.clock import region_now
from kiosk.domain.opening_hours import OpeningHours, parse_opening_hours
from kiosk.domain.working_days import WorkingCalendar
from kiosk.logs import error_fields, get_logger

log = get_logger("kiosk.system.blanking")
XSET_TIMEOUT_S = 5.0
MAX_WAIT_S = 3600.0
BOUNDARY_SLACK_S = 1.0  # wake just after the boundary, when the new state holds



class Timer(Protocol):
    """What a scheduler answers: a pending call that can be called off (Kivy's
    ClockEvent)."""

    def cancel(self) -> None:
        """Call it off."""


# schedule(callback, delay_s) -> a Timer; callback(elapsed) like Kivy's.
Scheduler = Callable[[Callable[[float], object], float], Timer]


def xset_commands(blank_seconds: int) -> list[list[str]]:
    """``xset`` calls for the configured blanking: 0 = never blank (no screensaver, no
    DPMS), else blank and power the screen down after that many idle seconds."""
    if blank_seconds <= 0:
        return [["xset", "s", "off"], ["xset", "s", "noblank"], ["xset", "-dpms"]]
    s = str(blank_seconds)
    return [["xset", "s", s, s], ["xset", "s", "blank"], ["xset", "+dpms"],
            ["xset", "dpms", s, s, s]]


def apply_blanking(blank_seconds: int) -> bool:
    """Set the X server's screensaver and DPMS; False (logged) when xset is missing or
    fails: blanking is comfort, not a reason to stop the kiosk. (A server without the
    DPMS extension, e.g. Xvfb, makes xset print a complaint and exit 0: the screensaver
    part still holds.)"""
    if shutil.which("xset") is None:
        log.info("xset not found (package x11-xserver-utils): blanking left as it was")
        return False
    for cmd in xset_commands(blank_seconds):
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=XSET_TIMEOUT_S)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("xset failed", extra={"fields": {"cmd": " ".join(cmd),
                                                         **error_fields(exc)}})
            return False
    return True


class BlankingSchedule:
    """Blanking by opening hours: :meth:`start` applies now and keeps it up to date.

    ``now`` (POSIX seconds), ``schedule`` and ``apply`` are injectable for tests; in the
    app ``schedule`` is Kivy's ``Clock.schedule_once``."""

    def __init__(self, settings: Settings, schedule: Scheduler, *,
                 calendar: WorkingCalendar | None = None,
                 now: Callable[[], float] = time.time,
                 apply: Callable[[int], bool] = apply_blanking) -> None:
        self._display = settings.display
        self._zone = settings.region.timezone
        self._hours: OpeningHours = parse_opening_hours(settings.display.opening_hours)
        self._calendar = calendar
        self._schedule, self._now, self._apply = schedule, now, apply
        self._event: Timer | None = None
        self.applied: int | None = None   # blank seconds last applied
        self.is_open: bool | None = None
        self.next_wait: float | None = None

    @classmethod
    def for_settings(cls, settings: Settings, schedule: Scheduler) -> BlankingSchedule:
        """With the terminal's working-day calendar (Monday to Friday if it cannot be
        built: blanking is no reason to stop)."""
        return cls(settings, schedule, calendar=_calendar(settings))

    def retake(self, settings: Settings) -> None:
        """New settings in effect (a config overlay from the centre): their opening hours
        and blanking times apply now, without a restart."""
        self.stop()
        self._display = settings.display
        self._zone = settings.region.timezone
        self._hours = parse_opening_hours(settings.display.opening_hours)
        self._calendar = _calendar(settings)
        self.tick()

    def start(self) -> None:
        self.tick()

    def stop(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def tick(self, *_: object) -> None:
        """Apply the setting for now (when it changed) and set the next timer."""
        moment = region_now(self._zone, self._now())
        is_open = self._hours.is_open(moment, self._calendar)
        seconds = (self._display.blank_seconds if is_open
                   else self._display.blank_seconds_closed)
        if is_open != self.is_open or seconds != self.applied:
            self._apply(seconds)
            log.info("screen blanking set", extra={"fields": {
                "open": is_open, "blank_seconds": seconds}})
            self.is_open, self.applied = is_open, seconds
        change = self._hours.next_change(moment, self._calendar)
        wait = MAX_WAIT_S
        if change is not None:
            wait = min(MAX_WAIT_S, (change - moment).total_seconds() + BOUNDARY_SLACK_S)
        self.next_wait = max(wait, BOUNDARY_SLACK_S)
        self._event = self._schedule(self.tick, self.next_wait)


def _calendar(settings: Settings) -> WorkingCalendar | None:
    """The working-day calendar opening hours need (None: always open, or it cannot be
    built, then Monday to Friday: blanking is no reason to stop)."""
    if parse_opening_hours(settings.display.opening_hours).always:
        return None
    try:
        return calendar_for(settings)
    except Exception as exc:  # noqa: BLE001 - a bad holiday file: weekdays only
        log.warning("no working-day calendar for opening hours",
                    extra={"fields": error_fields(exc)})
        return None
