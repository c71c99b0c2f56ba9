"""Cancel pre-loss, step 3: the holder's own ID card (must match the card's SSN)."""

from __future__ import annotations

from kiosk.services.states import CancelView, State
from kiosk.ui.journeys.base import JourneyScreen, image_path, set_label, view_of
from kiosk.ui.screen_base import load_kv


class CancelIdScreen(JourneyScreen):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.ids.picture.source = image_path("guidance_id_card.png")

    def show(self, state: State) -> None:
        set_label(self.ids.card, "journeys.pin.card",
                  card=view_of(state, CancelView).card_number_masked)


load_kv(__file__)
