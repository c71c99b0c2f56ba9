"""ID number on an on-screen keypad (digits and X only), checked before anything is sent."""

from __future__ import annotations

from kiosk.services.states import KeypadView, State
from kiosk.ui.journeys import widgets as journey_widgets  # noqa: F401  (registers the keypad)
from kiosk.ui.journeys.base import JourneyScreen, set_label
from kiosk.ui.screen_base import load_kv


class IdentifyKeypadScreen(JourneyScreen):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.ids.keypad.bind(value=self._count)
        self._count()

    def _count(self, *_: object) -> None:
        set_label(self.ids.count, "journeys.keypad.count", count=len(self.ids.keypad.value))

    def show(self, state: State) -> None:
        error = state.view.error_key if isinstance(state.view, KeypadView) else ""
        if not error:
            self.ids.keypad.clear()
        set_label(self.ids.error, error)

    def clear(self) -> None:
        self.ids.keypad.clear()
        set_label(self.ids.error, "")

    def reset(self) -> None:
        # The session end blanks label values; the count is not data: show "0 of 18"
        # again (an empty buffer does not change the keypad's value, so no event says so).
        super().reset()
        self._count()

    def submit(self) -> None:
        self.ctl.identify.submit_id_number(self.ids.keypad.value)


load_kv(__file__)
