"""Cancel pre-loss done (social security side), with the bank-side reminder."""

from __future__ import annotations

from kiosk.services.states import CancelView, State
from kiosk.ui.journeys import widgets as journey_widgets  # noqa: F401  (Panel, KScrollView)
from kiosk.ui.journeys.base import JourneyScreen, set_label, view_of
from kiosk.ui.screen_base import load_kv


class CancelDoneScreen(JourneyScreen):
    show_back = False

    def show(self, state: State) -> None:
        set_label(self.ids.body, "journeys.cancel.done_body",
                  card=view_of(state, CancelView).card_number_masked)

    def finish(self) -> None:
        self.ctl.end()


load_kv(__file__)
