"""Cancel pre-loss, step 4: confirm."""

from __future__ import annotations

from kiosk.services.states import State
from kiosk.ui.screens.base import load_kv
from kiosk.ui.screens.journey_base import JourneyScreen, set_label


class CancelConfirmScreen(JourneyScreen):
    def show(self, state: State) -> None:
        set_label(self.ids.body, "journeys.cancel.confirm_body",
                  card=state.view.card_number_masked)

    def confirm(self) -> None:
        self.ctl.cancel.confirm_cancel()


load_kv(__file__)
