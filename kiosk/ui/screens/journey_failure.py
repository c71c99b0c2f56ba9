"""Every journey failure: what happened, in plain words, and what to do next."""

from __future__ import annotations

from kiosk.services.states import State
from kiosk.ui.journeys import widgets as journey_widgets  # noqa: F401  (Panel)
from kiosk.ui.journeys.base import JourneyScreen, set_label, set_shown
from kiosk.ui.screen_base import load_kv


class JourneyFailureScreen(JourneyScreen):
    def show(self, state: State) -> None:
        f = state.failure
        if f is None:  # the bridge routes only a state with a failure here
            raise TypeError(f"step {state.step} has no failure to show")
        params = dict(f.params)
        set_label(self.ids.title, f.title_key, **params)
        set_label(self.ids.body, f.body_key, **params)
        set_label(self.ids.advice, f.advice_key, **params)
        set_shown(self.ids.retry, f.retry)
        set_shown(self.ids.use_keypad, f.offers_keypad)  # the other way in, right here

    def retry(self) -> None:
        self.ctl.retry()

    def use_keypad(self) -> None:
        self.ctl.use_keypad_instead()


load_kv(__file__)
