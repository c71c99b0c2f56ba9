"""Idle near zero: the main loop wakes rarely while nothing happens.

Kivy's loop runs at ``graphics.maxfps`` (30) even when nothing changes: about 1 % of a
core on a small box, all day. :class:`IdleGovernor` lowers the Clock's frame rate to
:data:`IDLE_FPS` once the kiosk has been still for :data:`IDLE_AFTER_S` (no touch, no
key, no screen change, no animation running) and restores it on the next input or screen
change. Timers keep firing while idle (Clock intervals run at every wake-up; a timer is
late by at most one idle frame, 1 / IDLE_FPS s): the inactivity timeout, the watchdog
pings (seconds apart) and the parts' heartbeats (their own threads) are unaffected.

While idle, the wait between two wake-ups is SDL's own wait for an event
(``SDL_WaitEventTimeout``, which sleeps on the X connection), not a plain sleep: a touch
ends the wait at once and the loop is back at the full rate, so the first touch after a
still spell is served like any other (``kiosk bench touch`` measures both). Without
that SDL function (another window provider) the wait is Kivy's sleep, and such a touch
waits up to two idle frames.
"""

from __future__ import annotations

import ctypes
import time
from typing import TYPE_CHECKING

from kivy.animation import Animation
from kivy.clock import Clock
from kivy.core.window import Window

if TYPE_CHECKING:
    from kiosk.ui.app_protocol import UiApp

IDLE_FPS = 4.0          # wake-ups per second while still: only timers wait for them
IDLE_AFTER_S = 3.0      # still this long → idle
CHECK_EVERY_S = 1.0
SDL_PEEKEVENT = 1
SDL_INPUT_EVENTS = (0x300, 0x8FF)  # SDL_KEYDOWN … SDL_MULTIGESTURE: keys, mouse, touch
SDL_EVENT_SIZE = 56                # sizeof(SDL_Event); its type and timestamp come first
PEEK_MAX = 16


def sdl_library() -> ctypes.CDLL | None:
    """The SDL library Kivy's window loaded (found in this process's memory map; opening
    it again gives the same library), or None."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as fh:
            paths = {line.split()[-1] for line in fh if "/libSDL2-2" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
            wait, peek = lib.SDL_WaitEventTimeout, lib.SDL_PeepEvents
        except (OSError, AttributeError):
            continue
        wait.argtypes, wait.restype = [ctypes.c_void_p, ctypes.c_int], ctypes.c_int
        peek.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_uint32,
                         ctypes.c_uint32]
        peek.restype = ctypes.c_int
        return lib
    return None


class IdleGovernor:
    """Drops the Clock's frame rate while still; ``active_fps`` is restored on input."""

    def __init__(self, app: UiApp, idle_fps: float = IDLE_FPS,
                 idle_after: float = IDLE_AFTER_S) -> None:
        self.app = app
        self.idle_fps = idle_fps
        self.idle_after = idle_after
        self.active_fps = float(Clock._max_fps) or 30.0
        self.idle = False
        self.last_activity = time.monotonic()
        self._sdl = sdl_library()
        self._waiting = False  # Clock.usleep is ours (idle, SDL found)
        self._queued_at_idle: int | None = None  # newest input already queued then
        Window.bind(on_motion=self.wake, on_key_down=self.wake)  # every touch and key
        app.bind(on_session_end=self.wake)
        sm = getattr(app, "sm", None)
        if sm is not None:
            sm.bind(current=self.wake)
        self._event = Clock.schedule_interval(self._check, CHECK_EVERY_S)

    def wake(self, *_: object) -> None:
        """Input or a state change: full frame rate now (returns None: never eats input)."""
        self.last_activity = time.monotonic()
        if self.idle:
            self.idle = False
            Clock._max_fps = self.active_fps
            if self._waiting:
                self._waiting = False
                del Clock.usleep  # Kivy's own sleep again

    def _check(self, _dt: float) -> None:
        if self.idle:
            return
        busy = bool(Animation._instances) or not getattr(self.app, "screens_ready", True)
        if busy:
            self.last_activity = time.monotonic()
        elif time.monotonic() - self.last_activity >= self.idle_after:
            self.idle = True
            Clock._max_fps = self.idle_fps
            if self._sdl is not None:
                # What is queued now is not news (Kivy's poll takes it this frame; a
                # test driver that never polls leaves it there for good).
                self._sdl.SDL_PumpEvents()
                stamps = self._queued_input()
                self._queued_at_idle = max(stamps) if stamps else None
                self._waiting = True
                Clock.usleep = self._wait_for_input

    def _wait_for_input(self, microseconds: float) -> None:
        """The Clock's sleep while idle: returns early when input arrives, then makes
        this wake-up the last idle one (the frame ends now, the rate is full again).
        Events that are not input (window events) do not wake the loop."""
        end = time.monotonic() + microseconds / 1e6
        assert self._sdl is not None  # the Clock waits here only when SDL was found
        # NULL event: SDL only says one is queued; Kivy's own poll takes it.
        if (self._sdl.SDL_WaitEventTimeout(None, max(1, int(microseconds / 1000))) == 1
                and self._fresh_input()):
            Clock._last_tick -= 1.0 / self.idle_fps  # the Clock's wait is over
            self.wake()
            return
        time.sleep(max(0.0, end - time.monotonic()))  # no input: the rest of the frame

    def _queued_input(self) -> list[int]:
        """SDL timestamps (ms) of the input events queued (the first PEEK_MAX)."""
        assert self._sdl is not None  # called only while waiting on SDL
        events = (ctypes.c_uint8 * (SDL_EVENT_SIZE * PEEK_MAX))()
        n = self._sdl.SDL_PeepEvents(events, PEEK_MAX, SDL_PEEKEVENT, *SDL_INPUT_EVENTS)
        return [ctypes.c_uint32.from_buffer(events, i * SDL_EVENT_SIZE + 4).value
                for i in range(max(0, n))]

    def _fresh_input(self) -> bool:
        """An input event queued since the loop went idle (ms stamps wrap at 2**32)."""
        seen = self._queued_at_idle
        return any(seen is None or 0 < (t - seen) % 2**32 < 2**31
                   for t in self._queued_input())

    def stop(self) -> None:
        """Back to the full rate for good (tests, app stop)."""
        self._event.cancel()
        self.wake()
