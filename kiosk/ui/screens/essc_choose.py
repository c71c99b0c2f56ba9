"""After an e-SSC scan at the start screen: already identified, which journey now."""

from __future__ import annotations

from kiosk.services.states import EsscChooseView, State
from kiosk.ui.journeys.base import JourneyScreen, set_label, set_shown
from kiosk.ui.screen_base import load_kv


class EsscChooseScreen(JourneyScreen):
    """Greets the person (masked name) and offers pre-loss and replacement status."""

    def show(self, state: State) -> None:
        view = state.view
        if not isinstance(view, EsscChooseView):
            return
        set_label(self.ids.hello, "essc.choose.hello", holder=view.holder_masked)
        set_shown(self.ids.cancel_note, view.cancel_allowed)

    def choose(self, journey: str) -> None:
        self.ctl.essc.choose(journey)


load_kv(__file__)
