"""The card list orders what a person can act on first: ``many_cards`` (seven cards,
the central answers the cancelled, expired and stopped ones first) read from the ID
card, on the real window with the sandbox over HTTP. In large text the reportable cards
were on pages 6–7 of 7."""

from __future__ import annotations

from kiosk.services.states import CardChoice, CardsView
from tests.e2e.window.conftest import Journey


def _choice(number: str, state: str) -> CardChoice:
    return CardChoice(number, state, state == "active", f"journeys.cards.state.{state}",
                      False, number)


def test_the_view_puts_the_cards_to_act_on_first_in_their_order() -> None:
    view = CardsView("王**", (_choice("A", "cancelled"), _choice("B", "active"),
                             _choice("C", "expired"), _choice("D", "active")))
    assert [c.token for c in view.cards] == ["B", "D", "A", "C"]
    assert view.first_other == 2
    assert CardsView("王**", (_choice("A", "active"),)).first_other is None
    assert CardsView("王**", (_choice("A", "lost"),)).first_other is None


def test_many_cards_in_large_text_the_reportable_ones_come_first(journey: Journey) -> None:
    from kiosk.ui.widgets.pager import PagedView

    j = journey
    j.app.set_language("en")
    j.app.large_text = True
    try:
        j.show_cards("many_cards")
        screen = j.app.sm.current_screen
        view = next(w for w in screen.walk(restrict=True) if isinstance(w, PagedView))
        assert view.count > 1 and view.page == 0
        first_page = [w for w in j.ui.find_all(key="journeys.cards.choose", root=screen)]
        assert first_page, "a card to report on the first page"
        rows = [r for r in reversed(screen.ids.cards.children) if hasattr(r, "token")]
        states = [j.ctl.session.person.cards[int(r.token)].state for r in rows]
        assert states[:2] == ["active", "active"] and "active" not in states[2:]
        heading = screen._others
        order = list(reversed(screen.ids.cards.children))
        assert order.index(heading) == 2, "'Your other cards' before the first of them"
        j.tap(key="journeys.cards.choose")
        j.screen("pre_loss_consequences")
    finally:
        j.app.large_text = False
