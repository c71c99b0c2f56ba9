"""Inactivity logic of a cardholder session, without Kivy (tested with a fake clock).

Phases: ``IDLE`` (no session: the attract screen), ``ACTIVE`` (someone is using the
kiosk), ``WARNING`` ("are you still there?" with a countdown), ``EXPIRED`` (back to the
attract screen, session data wiped). A touch while ``ACTIVE`` restarts the quiet
period; during ``WARNING`` only an explicit :meth:`InactivityTimer.extend` ("more time")
keeps the session, so a stray touch on the dimmed screen does not hide the warning
unnoticed. The UI polls :meth:`poll` only while a session runs, so an idle kiosk
schedules nothing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from enum import Enum


class Phase(Enum):
    IDLE = "idle"
    ACTIVE = "active"
    WARNING = "warning"
    EXPIRED = "expired"


class InactivityTimer:
    """Warns after ``inactivity_seconds`` without a touch; expires ``warning_seconds`` later."""

    def __init__(self, inactivity_seconds: float, warning_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.configure(inactivity_seconds, warning_seconds)
        self._clock = clock
        self._phase = Phase.IDLE
        self._last_activity = 0.0

    def configure(self, inactivity_seconds: float, warning_seconds: float) -> None:
        """Change the durations (takes effect from the next activity)."""
        if inactivity_seconds <= 0 or warning_seconds <= 0:
            raise ValueError("durations must be positive")
        self.inactivity_seconds = float(inactivity_seconds)
        self.warning_seconds = float(warning_seconds)

    @property
    def phase(self) -> Phase:
        return self._phase

    def start(self) -> None:
        """A session begins (the cardholder left the attract screen)."""
        self._phase = Phase.ACTIVE
        self._last_activity = self._clock()

    def stop(self) -> None:
        """No session (back on the attract screen): nothing to watch."""
        self._phase = Phase.IDLE

    def touch(self) -> None:
        """User activity. Restarts the quiet period while ACTIVE; ignored otherwise."""
        if self._phase is Phase.ACTIVE:
            self._last_activity = self._clock()

    def extend(self) -> None:
        """"More time": leave the warning and restart the quiet period."""
        if self._phase in (Phase.ACTIVE, Phase.WARNING):
            self._phase = Phase.ACTIVE
            self._last_activity = self._clock()

    def poll(self) -> Phase:
        """Advance the phase from the clock and return it."""
        if self._phase in (Phase.IDLE, Phase.EXPIRED):
            return self._phase
        quiet = self._clock() - self._last_activity
        if quiet >= self.inactivity_seconds + self.warning_seconds:
            self._phase = Phase.EXPIRED
        elif quiet >= self.inactivity_seconds:
            self._phase = Phase.WARNING
        return self._phase

    def seconds_left(self) -> int:
        """Whole seconds until expiry (what the countdown shows), never negative."""
        if self._phase is Phase.IDLE:
            return 0
        left = self.inactivity_seconds + self.warning_seconds - (
            self._clock() - self._last_activity)
        return max(0, math.ceil(left - 1e-9))

    def next_check_in(self) -> float | None:
        """Seconds until the phase or the countdown can next change (None when idle)."""
        if self._phase in (Phase.IDLE, Phase.EXPIRED):
            return None
        quiet = self._clock() - self._last_activity
        if self._phase is Phase.ACTIVE:
            return max(0.05, self.inactivity_seconds - quiet)
        # During the warning the countdown changes every second.
        left = self.inactivity_seconds + self.warning_seconds - quiet
        return max(0.05, min(1.0, left - math.floor(left - 1e-9) if left > 0 else 0.05))
