"""Cancel pre-loss, step 4: confirm."""

from __future__ import annotations

from kiosk.services.states import CancelView, State
from kiosk.ui.journeys.base import JourneyScreen, set_label, view_of
from kiosk.ui.screen_base import load_kv


class CancelConfirmScreen(JourneyScreen):
    def show(self, state: State) -> None:
        set_label(self.ids.body, "journeys.cancel.confirm_body",
                  card=view_of(state, CancelView).card_number_masked)

    def confirm(self) -> None:
        self.ctl.cancel.confirm_cancel()


load_kv(__file__)
