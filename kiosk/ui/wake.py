"""The touch that wakes a blanked screen does nothing else.

The X screensaver blanks the screen after the timeout in force (``display.blank_seconds``
or ``display.blank_seconds_closed``, :class:`~kiosk.system.blanking.BlankingSchedule`);
the touch that wakes it would otherwise also press whatever lies under the finger on a
black screen. :class:`WakeGuard` decides from the timeout in force and the time of the
last input (monotonic clock): when a touch goes down and blanking is on and the kiosk has
had no input for at least the timeout, the screen was blank, so that touch (its down,
moves and up, matched by ``uid``) is consumed; the next one works. Keys pressed while
blank are consumed the same way (down, repeats, their text, up), technician mode or not.

Bound to the window's ``on_motion`` (touches) and key events by :func:`bind_window`:
Kivy calls bound handlers before its own ``on_motion``, which is what dispatches
``on_touch_down`` to every other window binding and widget, so nothing sees a consumed
touch. Handlers bound later still run first (the idle governor's wake keeps working).
No Kivy import here: the rule is tested with an injected clock, without a window.
The rule follows the X server's idle time to within the app's event latency (≤ one idle
frame, kiosk/ui/idle.py); a mouse moved without a press wakes X but is not input here.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from typing import Protocol

from kiosk.logs import error_fields, get_logger
from kiosk.system.blanking import XSET_TIMEOUT_S

log = get_logger("kiosk.ui.wake")
SYNC_AFTER_S = 2.0   # lock_down calls WakeGuard.sync_x_idle this long after start-up
KEY_EVENTS = ("on_key_down", "on_keyboard", "on_textinput", "on_key_up")
# A window handler: Kivy passes the window first; True stops the event there.
Handler = Callable[..., bool]


class Touch(Protocol):
    """What the guard reads of a Kivy motion event."""

    is_touch: bool
    uid: int


class Bindable(Protocol):
    """What :func:`bind_window` uses of Kivy's ``Window``."""

    def bind(self, **handlers: Handler) -> None: ...


class WakeGuard:
    """Which input woke a blank screen. ``timeout()`` gives the blank seconds in force
    (0 or None: never blank); ``clock`` is monotonic seconds (injectable for tests)."""

    def __init__(self, timeout: Callable[[], int | None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout = timeout
        self.clock = clock
        self.last_input = clock()   # start-up counts: X's idle time is about as old
        self.consumed_touches: set[int] = set()
        self.consumed_keys: set[int] = set()
        self.woken = 0              # wake-ups consumed (diagnostics)

    def was_blank(self, now: float) -> bool:
        """True when the screen has been blank since before ``now``."""
        seconds = self.timeout() or 0
        return seconds > 0 and now - self.last_input >= seconds

    def input(self, kind: str) -> bool:
        """Input (``kind``: touch or key) arrived now: True when it woke a blank screen
        (and is to be consumed)."""
        now = self.clock()
        blank = self.was_blank(now)
        idle_s = now - self.last_input
        self.last_input = now
        if blank:
            self.woken += 1
            log.info("wake-up input consumed", extra={"fields": {
                "by": kind, "idle_s": round(idle_s, 1)}})
        return blank

    def touch(self, etype: str, uid: int) -> bool:
        """A touch event (Kivy's ``begin``/``update``/``end``): True to consume it."""
        if etype == "begin":
            if self.input("touch"):
                self.consumed_touches.add(uid)
                return True
            return False
        self.last_input = self.clock()   # a held, moving finger keeps X awake too
        if etype == "end":
            if uid in self.consumed_touches:
                self.consumed_touches.discard(uid)
                return True
            return False
        return uid in self.consumed_touches

    def key_down(self, keycode: int) -> bool:
        """A key went down (or repeats): True to consume it."""
        if self.input("key") or keycode in self.consumed_keys:
            self.consumed_keys.add(keycode)
            return True
        return False

    def key_up(self, keycode: int) -> bool:
        """A key came up: True when its down was consumed."""
        self.last_input = self.clock()
        if keycode in self.consumed_keys:
            self.consumed_keys.discard(keycode)
            return True
        return False

    def sync_x_idle(self, *_: object) -> None:
        """Start X's idle time and this guard's together (:func:`reset_x_idle`); the app
        calls it once, shortly after start-up (off the first frame's path: ~5-25 ms)."""
        if reset_x_idle():
            self.last_input = self.clock()

    def text(self) -> bool:
        """Text typed: consumed while a consumed key is held (its text comes before its up)."""
        return bool(self.consumed_keys)

    # -- window handlers (Kivy passes the window first) ---------------------------------
    def on_motion(self, _window: object, etype: str, me: Touch) -> bool:
        return bool(me.is_touch) and self.touch(etype, me.uid)

    def on_key_down(self, _window: object, keycode: int, *_: object) -> bool:
        return self.key_down(keycode)

    def on_key_up(self, _window: object, keycode: int, *_: object) -> bool:
        return self.key_up(keycode)

    def on_keyboard(self, _window: object, keycode: int, *_: object) -> bool:
        return keycode in self.consumed_keys

    def on_textinput(self, _window: object, _text: str) -> bool:
        return self.text()


def reset_x_idle() -> bool:
    """Start the X server's idle time now (``xset s reset``; it also wakes a blank
    screen), so it agrees with a new :class:`WakeGuard`: the session runner restarts
    the app inside a running X server, which may have been idle, even blank, for longer
    than the new app knows. False (logged) when xset is missing or fails."""
    if shutil.which("xset") is None:
        return False   # apply_blanking already said so
    try:
        subprocess.run(["xset", "s", "reset"], check=True, capture_output=True,
                       timeout=XSET_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("xset s reset failed", extra={"fields": error_fields(exc)})
        return False
    return True


def bind_window(window: Bindable, guard: WakeGuard) -> dict[str, Handler]:
    """Bind ``guard`` to ``window`` (Kivy's ``Window``); the handlers, for unbinding.
    Bind it after the key lockdown's handlers, so it runs before them and sees every key."""
    handlers: dict[str, Handler] = {"on_motion": guard.on_motion}
    handlers.update({name: getattr(guard, name) for name in KEY_EVENTS})
    window.bind(**handlers)
    return handlers
