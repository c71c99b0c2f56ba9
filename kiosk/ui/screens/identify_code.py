"""The 6-digit code the central service sent to the phone on record."""

from __future__ import annotations

from kiosk.services.states import State
from kiosk.ui.journeys import widgets as journey_widgets  # noqa: F401
from kiosk.ui.journeys.base import JourneyScreen, set_label
from kiosk.ui.screen_base import load_kv


class IdentifyCodeScreen(JourneyScreen):
    def show(self, state: State) -> None:
        view = state.view
        set_label(self.ids.sent_to, "journeys.code.sent_to", phone=view.phone_masked)
        set_label(self.ids.expires, "journeys.code.expires",
                  minutes=max(1, view.expires_in // 60))
        self.ids.keypad.clear()  # six digits are quick to type again, fully
        set_label(self.ids.error, view.error_key)

    def clear(self) -> None:
        self.ids.keypad.clear()
        set_label(self.ids.error, "")

    def submit(self) -> None:
        self.ctl.identify.submit_code(self.ids.keypad.value)

    def resend(self) -> None:
        self.ctl.identify.resend_code()


load_kv(__file__)
