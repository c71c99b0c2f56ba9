"""Waiting for the central service or the card: progress and a cancel, never frozen.

The call runs on a worker thread; this screen only animates and, after a few seconds,
says it is slower than usual. Cancel takes effect at once (the controller drops the
late answer; a pre-loss being sent is queued, not lost) and the screen says so, per
action, before it is pressed."""

from __future__ import annotations

import time

from kivy.clock import Clock, ClockEvent

from kiosk.services.states import BusyView, State
from kiosk.ui.journeys.base import JourneyScreen, set_label, set_shown, set_text, view_of
from kiosk.ui.screen_base import load_kv

SLOW_AFTER_S = 3.0
DOTS = ("●○○○", "○●○○", "○○●○", "○○○●")


class JourneyBusyScreen(JourneyScreen):
    show_home = False  # the cancel button is the way out; home mid-call would be a surprise

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._tick_event: ClockEvent | None = None
        self._started = 0.0
        self._n = 0

    def show(self, state: State) -> None:
        v = view_of(state, BusyView)
        set_label(self.ids.message, v.message_key)
        set_shown(self.ids.cancel, v.cancellable)
        # Before it is pressed, what cancel does to this action (queued, nothing sent…).
        set_label(self.ids.on_cancel, v.cancel_key if v.cancellable else "",
                  hotline=self.ctl.hotline)
        self._started = v.started
        self._tick()

    def on_enter(self, *_: object) -> None:
        if self._tick_event is None:
            self._tick_event = Clock.schedule_interval(lambda _dt: self._tick(), 0.4)

    def on_leave(self, *_: object) -> None:
        if self._tick_event is not None:
            self._tick_event.cancel()
            self._tick_event = None

    def _tick(self) -> None:
        self._n += 1
        set_text(self.ids.dots, DOTS[self._n % len(DOTS)])
        slow = self._started and time.monotonic() - self._started >= SLOW_AFTER_S
        set_label(self.ids.slow, "journeys.busy.slow" if slow else "")

    def cancel(self) -> None:
        self.ctl.cancel_busy()


load_kv(__file__)
