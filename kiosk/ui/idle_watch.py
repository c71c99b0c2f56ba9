"""The app's inactivity watch: the Kivy side of :class:`~kiosk.ui.inactivity.InactivityTimer`.

It polls the timer only while a session runs (nothing is scheduled on the attract
screen), opens the "are you still there?" overlay in the warning phase and, when the
time is up, ends the session through ``on_expired`` (the app's ``end_session``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kivy.clock import Clock, ClockEvent

from kiosk.logs import get_logger
from kiosk.ui.inactivity import InactivityTimer, Phase

if TYPE_CHECKING:
    from kiosk.ui.widgets.overlay import InactivityOverlay

log = get_logger("kiosk.ui.app")


class IdleWatch:
    """Drives ``timer`` on the Kivy clock and shows the warning overlay, which
    ``make_overlay`` builds when it is first needed: an idle kiosk never shows it, and
    its labels would open two more font faces (~5 MiB) at start."""

    def __init__(self, timer: InactivityTimer, on_expired: Callable[[], None],
                 make_overlay: Callable[[], InactivityOverlay] | None = None) -> None:
        self.timer = timer
        self.on_expired = on_expired
        self.make_overlay = make_overlay
        self.built_overlay: InactivityOverlay | None = None
        self._poll_event: ClockEvent | None = None

    @property
    def overlay(self) -> InactivityOverlay | None:
        """The warning overlay, built on first use (None without a factory)."""
        if self.built_overlay is None and self.make_overlay is not None:
            self.built_overlay = self.make_overlay()
        return self.built_overlay

    @property
    def overlay_open(self) -> bool:
        """Whether the warning is on screen (never builds it)."""
        return bool(self.built_overlay is not None and self.built_overlay.is_open)

    def session_screen(self) -> None:
        """A session screen is shown: start watching if no session was running."""
        if self.timer.phase is Phase.IDLE:
            self.timer.start()
            self._schedule_poll()

    def touch(self) -> None:
        """Activity (a touch, a key, a card): restart the quiet period."""
        self.timer.touch()

    def on_touch_down(self, *_: object) -> bool:
        """Window binding: any touch is activity."""
        self.touch()
        return False  # let the touch reach the widgets

    def more_time(self) -> None:
        """The cardholder asked for more time: leave the warning, start again."""
        self.timer.extend()
        if self.built_overlay is not None:
            self.built_overlay.hide()
        self._schedule_poll()

    def stop(self) -> None:
        """No session: stop the timer, cancel the poll, hide the warning."""
        self.timer.stop()
        if self._poll_event is not None:
            self._poll_event.cancel()
            self._poll_event = None
        if self.built_overlay is not None:
            self.built_overlay.hide()

    def _schedule_poll(self) -> None:
        if self._poll_event is not None:
            self._poll_event.cancel()
        delay = self.timer.next_check_in()
        self._poll_event = None if delay is None else Clock.schedule_once(self._poll, delay)

    def _poll(self, _dt: float) -> None:
        self._poll_event = None
        phase = self.timer.poll()
        if phase is Phase.EXPIRED:
            self.on_expired()
            return
        overlay = self.overlay
        if phase is Phase.WARNING and overlay is not None:  # None: a watch without one
            overlay.seconds = self.timer.seconds_left()
            if not overlay.is_open:
                log.info("inactivity warning")
                overlay.show()
        self._schedule_poll()
