"""Offline at confirmation: queued, NOT yet in effect, call the hotline now."""

from __future__ import annotations

from kiosk.services.states import PreLossView, State
from kiosk.ui.journeys import widgets as journey_widgets  # noqa: F401
from kiosk.ui.journeys.base import ReceiptEndScreen, set_label, view_of
from kiosk.ui.screen_base import load_kv


class PreLossPendingScreen(ReceiptEndScreen):
    def show(self, state: State) -> None:
        v = view_of(state, PreLossView)
        set_label(self.ids.call_now, "journeys.pending.call_now", hotline=v.hotline)
        set_label(self.ids.reference, "journeys.pending.reference", reference=v.reference)
        set_label(self.ids.next1, "journeys.pending.next1", hotline=v.hotline)
        self.show_receipt(v)


load_kv(__file__)
