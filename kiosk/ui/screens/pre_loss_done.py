"""Pre-loss done: reference, time, lapse date, QR (reference only), receipt, next steps."""

from __future__ import annotations

from kiosk.services.states import PreLossView, State
from kiosk.ui.journeys import widgets as journey_widgets  # noqa: F401
from kiosk.ui.journeys.base import ReceiptEndScreen, fmt_date, fmt_time, set_label, view_of
from kiosk.ui.screen_base import load_kv


class PreLossDoneScreen(ReceiptEndScreen):
    show_back = False  # nothing to go back to: the card is stopped

    def show(self, state: State) -> None:
        v = view_of(state, PreLossView)
        set_label(self.ids.reference, "journeys.done.reference", reference=v.reference)
        set_label(self.ids.time, "journeys.done.time", time=fmt_time(v.at))
        set_label(self.ids.card, "journeys.done.card", card=v.card_number_masked)
        set_label(self.ids.lapse, "journeys.done.lapse_about" if v.lapse_estimate
                  else "journeys.done.lapse", date=fmt_date(v.lapses_on))
        # Told "not yet in effect" a moment ago: say plainly that this has changed.
        set_label(self.ids.live_update, "journeys.done.now_in_effect" if v.was_pending else "")
        self.show_receipt(v)


load_kv(__file__)
