"""The person's cards, masked: active ones offered, the others explained."""

from __future__ import annotations

from kiosk.services.states import CardsView, State
from kiosk.ui.journeys.base import JourneyScreen, fmt_date, set_label, set_shown, set_text, view_of
from kiosk.ui.journeys.widgets import Panel, RowPool
from kiosk.ui.screen_base import load_kv
from kiosk.ui.widgets.text import KLabel


class CardRow(Panel):
    """One card: masked number, bank function, what its state means, choose button."""

    token = ""


class PreLossCardsScreen(JourneyScreen):
    """The cards to report first; the others after, under a heading (CardsView orders
    them)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._rows = RowPool(self.ids.cards, self._make_row)
        # "Your other cards": a block of its own that turns the page with its first card.
        self._others = KLabel(key="journeys.cards.others", role="title", bold=True)
        self._others.keep_with_next = True

    def _make_row(self) -> CardRow:
        row = CardRow()
        row.ids.choose.bind(on_release=lambda _b, r=row: self.ctl.pre_loss.choose_card(r.token))
        return row

    def show(self, state: State) -> None:
        view = view_of(state, CardsView)
        set_label(self.ids.holder, "journeys.cards.holder", name=view.holder_masked)
        set_label(self.ids.hint, "journeys.cards.choose_hint" if view.any_offerable
                  else "journeys.cards.none_offerable")
        # Identified by the ID card on the reader: lifting it ends the session.
        set_label(self.ids.keep_id, "journeys.cards.keep_id_card" if view.keep_id_card else "")
        for row, card in zip(self._rows.rows(len(view.cards)), view.cards, strict=True):
            row.token = card.token
            set_text(row.ids.number, card.card_number_masked)
            set_label(row.ids.bank, "journeys.cards.bank" if card.bank_function else "")
            set_label(row.ids.explain, card.explain_key, date=fmt_date(card.lapses_on))
            set_shown(row.ids.choose, card.offerable)
        if view.first_other is not None:  # above the first of them (CardsView orders)
            box = self.ids.cards
            box.add_widget(self._others, index=len(box.children) - view.first_other)

    def clear(self) -> None:
        self._rows.wipe()


load_kv(__file__)
