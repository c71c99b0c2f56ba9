"""First screen of pre-loss and status: present the ID card (or SSC), or use the keypad."""

from __future__ import annotations

from typing import Any

from kiosk.services.states import State
from kiosk.ui.journeys.base import JourneyScreen, image_path, set_shown
from kiosk.ui.screen_base import load_kv


class IdentifyCardScreen(JourneyScreen):
    """Waits for a card; the controller moves on when the card hub reads one."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ids.picture.source = image_path("guidance_id_card.png")

    def show(self, state: State) -> None:
        view = state.view
        status = state.journey == "status"
        self.title_key = "journeys.identify.title_status" if status \
            else "journeys.identify.title_pre_loss"
        set_shown(self.ids.or_ssc, bool(view and view.ssc_allowed))
        set_shown(self.ids.keypad_button, bool(view and view.keypad_allowed))

    def use_keypad(self) -> None:
        self.ctl.identify.use_keypad()


class IdentifyPreLossScreen(IdentifyCardScreen):
    entry_journey = "pre_loss"


class IdentifyStatusScreen(IdentifyCardScreen):
    entry_journey = "status"


load_kv(__file__)
