"""Cancel pre-loss done (social security side), with the bank-side reminder."""

from __future__ import annotations

from kiosk.services.states import State
from kiosk.ui.screens import journey_widgets  # noqa: F401  (Panel, KScrollView)
from kiosk.ui.screens.base import load_kv
from kiosk.ui.screens.journey_base import JourneyScreen, set_label


class CancelDoneScreen(JourneyScreen):
    show_back = False

    def show(self, state: State) -> None:
        set_label(self.ids.body, "journeys.cancel.done_body",
                  card=state.view.card_number_masked)

    def finish(self) -> None:
        self.ctl.end()


load_kv(__file__)
