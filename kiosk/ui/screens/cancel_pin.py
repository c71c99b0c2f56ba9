"""Cancel pre-loss, step 2: the holder PIN, checked on the card itself."""

from __future__ import annotations

from kiosk.services.states import PinView, State
from kiosk.ui.journeys import widgets as journey_widgets  # noqa: F401
from kiosk.ui.journeys.base import JourneyScreen, set_label, view_of
from kiosk.ui.screen_base import load_kv


class CancelPinScreen(JourneyScreen):
    def show(self, state: State) -> None:
        v = view_of(state, PinView)
        self.ids.keypad.clear()  # a PIN is never shown again, not even as dots
        set_label(self.ids.card, "journeys.pin.card", card=v.card_number_masked)
        if v.tries_left is not None:
            set_label(self.ids.error, "journeys.pin.tries_left", tries=v.tries_left)
        else:
            set_label(self.ids.error, v.error_key)

    def on_leave(self, *_: object) -> None:
        # Every exit (back, home, timeout, a failure, the next step) empties the keypad.
        self.ids.keypad.clear()

    def clear(self) -> None:
        self.ids.keypad.clear()
        set_label(self.ids.error, "")

    def submit(self) -> None:
        pin, self.ids.keypad.value = self.ids.keypad.value, ""
        self.ctl.cancel.submit_pin(pin)


load_kv(__file__)
