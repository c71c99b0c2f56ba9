"""What pre-loss means, in plain words, before the holder confirms."""

from __future__ import annotations

from kiosk.services.states import ConsequencesView, State
from kiosk.ui.journeys import widgets as journey_widgets  # noqa: F401  (KScrollView)
from kiosk.ui.journeys.base import JourneyScreen, set_label, view_of
from kiosk.ui.screen_base import load_kv


class PreLossConsequencesScreen(JourneyScreen):
    def show(self, state: State) -> None:
        v = view_of(state, ConsequencesView)
        set_label(self.ids.card, "journeys.consequences.card", card=v.card_number_masked)
        set_label(self.ids.lapse, "journeys.consequences.lapse_working"
                  if v.lapse_working_days else "journeys.consequences.lapse_calendar",
                  days=v.lapse_days)
        set_label(self.ids.fee, "journeys.consequences.p4", fee=v.fee_yuan)

    def confirm(self) -> None:
        self.ctl.pre_loss.confirm_pre_loss()

    def proxy(self) -> None:
        self.ctl.guidance.open_topic("proxy")


load_kv(__file__)
