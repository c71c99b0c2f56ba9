"""The 6-digit code the central service sent to the phone on record."""

from __future__ import annotations

import math
import time

from kivy.clock import Clock, ClockEvent

from kiosk.services.states import CodeView, State
from kiosk.ui.journeys import widgets as journey_widgets  # noqa: F401
from kiosk.ui.journeys.base import JourneyScreen, set_label, view_of
from kiosk.ui.screen_base import load_kv


class IdentifyCodeScreen(JourneyScreen):
    """The code's entry, with "send again" off (and a countdown) during the cooldown."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._resend_at = 0.0
        self._tick_event: ClockEvent | None = None

    def show(self, state: State) -> None:
        view = view_of(state, CodeView)
        self._resend_at = view.resend_at
        self._tick()
        if self._tick_event is None and time.monotonic() < self._resend_at:
            self._tick_event = Clock.schedule_interval(lambda _dt: self._tick(), 0.5)
        set_label(self.ids.sent_to, "journeys.code.sent_to", phone=view.phone_masked)
        set_label(self.ids.expires, "journeys.code.expires",
                  minutes=max(1, view.expires_in // 60))
        self.ids.keypad.clear()  # six digits are quick to type again, fully
        set_label(self.ids.error, view.error_key)

    def _tick(self) -> None:
        left = math.ceil(self._resend_at - time.monotonic())
        waiting = left > 0
        self.ids.resend.disabled = waiting
        set_label(self.ids.resend_in, "journeys.code.resend_in" if waiting else "",
                  seconds=max(left, 0))
        if not waiting and self._tick_event is not None:
            self._tick_event.cancel()
            self._tick_event = None

    def on_leave(self, *_: object) -> None:
        if self._tick_event is not None:
            self._tick_event.cancel()
            self._tick_event = None

    def clear(self) -> None:
        self.ids.keypad.clear()
        set_label(self.ids.error, "")

    def submit(self) -> None:
        self.ctl.identify.submit_code(self.ids.keypad.value)

    def resend(self) -> None:
        self.ctl.identify.resend_code()


load_kv(__file__)
