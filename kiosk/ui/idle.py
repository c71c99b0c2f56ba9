"""Idle near zero: the main loop wakes rarely while nothing happens.

Kivy's loop runs at ``graphics.maxfps`` (30) even when nothing changes: about 1 % of a
core on a small box, all day. :class:`IdleGovernor` lowers the Clock's frame rate to
:data:`IDLE_FPS` once the kiosk has been still for :data:`IDLE_AFTER_S` (no touch, no
key, no screen change, no animation running) and restores it on the next input or screen
change. Timers keep firing while idle (Clock intervals run at every wake-up; a timer is
late by at most one idle frame, 1 / IDLE_FPS s): the inactivity timeout, the watchdog
pings (seconds apart) and the parts' heartbeats (their own threads) are unaffected. The
first touch after a still spell is seen at the next wake-up (at most 1 / IDLE_FPS s
later); every touch after it at the full rate.
"""

from __future__ import annotations

import time
from typing import Any

from kivy.animation import Animation
from kivy.clock import Clock
from kivy.core.window import Window

IDLE_FPS = 8.0          # wake-ups per second while still (≤ 125 ms to notice a touch)
IDLE_AFTER_S = 3.0      # still this long → idle
CHECK_EVERY_S = 1.0


class IdleGovernor:
    """Drops the Clock's frame rate while still; ``active_fps`` is restored on input."""

    def __init__(self, app: Any, idle_fps: float = IDLE_FPS,
                 idle_after: float = IDLE_AFTER_S) -> None:
        self.app = app
        self.idle_fps = idle_fps
        self.idle_after = idle_after
        self.active_fps = float(Clock._max_fps) or 30.0
        self.idle = False
        self.last_activity = time.monotonic()
        Window.bind(on_motion=self.wake, on_key_down=self.wake)  # every touch and key
        app.bind(on_session_end=self.wake)
        if getattr(app, "sm", None) is not None:
            app.sm.bind(current=self.wake)
        self._event = Clock.schedule_interval(self._check, CHECK_EVERY_S)

    def wake(self, *_: Any) -> None:
        """Input or a state change: full frame rate now (returns None: never eats input)."""
        self.last_activity = time.monotonic()
        if self.idle:
            self.idle = False
            Clock._max_fps = self.active_fps

    def _check(self, _dt: float) -> None:
        if self.idle:
            return
        busy = bool(Animation._instances) or not getattr(self.app, "screens_ready", True)
        if busy:
            self.last_activity = time.monotonic()
        elif time.monotonic() - self.last_activity >= self.idle_after:
            self.idle = True
            Clock._max_fps = self.idle_fps

    def stop(self) -> None:
        """Back to the full rate for good (tests, app stop)."""
        self._event.cancel()
        self.wake()
