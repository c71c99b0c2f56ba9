"""Pre-loss done: reference, time, lapse date, QR (reference only), receipt, next steps."""

from __future__ import annotations

from kiosk.services.states import State
from kiosk.ui.journeys import widgets as journey_widgets  # noqa: F401
from kiosk.ui.journeys.base import ReceiptEndScreen, fmt_date, fmt_time, set_label
from kiosk.ui.screen_base import load_kv


class PreLossDoneScreen(ReceiptEndScreen):
    show_back = False  # nothing to go back to: the card is stopped

    def show(self, state: State) -> None:
        v = state.view
        set_label(self.ids.reference, "journeys.done.reference", reference=v.reference)
        set_label(self.ids.time, "journeys.done.time", time=fmt_time(v.at))
        set_label(self.ids.card, "journeys.done.card", card=v.card_number_masked)
        set_label(self.ids.lapse, "journeys.done.lapse_about" if v.lapse_estimate
                  else "journeys.done.lapse", date=fmt_date(v.lapses_on))
        self.show_receipt(v)


load_kv(__file__)
