"""One person per session in the real window, with two personas' virtual cards in the
private pcscd + vpcd and the sandbox over HTTP: a second person's ID card or SSC never
shows the first person's cards."""

from __future__ import annotations

from tests.e2e.window.conftest import Journey


def _none_of(j: Journey, *words: str) -> None:
    texts = j.texts()
    for word in words:
        assert word not in texts, word


def test_lifting_the_id_card_off_the_card_list_clears_it(journey: Journey) -> None:
    """The issue's repro: x_check's card list, the ID card lifted, normal's put down."""
    j = journey
    j.show_cards("x_check")
    assert "张**" in j.texts() and j.shown(key="journeys.cards.keep_id_card")
    j.slots.remove("id")
    j.screen("attract")
    assert j.ctl.session.is_empty()
    j.place("normal", "id")  # read at the start screen: nobody wants it there
    assert j.app.sm.current == "attract"
    _none_of(j, "张**", "挂失这张卡")
    j.ui.tap(key="attract.pre_loss")  # the card lying there is read for the new journey
    j.screen("pre_loss_cards")
    assert "王**" in j.texts()
    _none_of(j, "张**")
    assert j.new_pre_losses() == []


def test_a_second_persons_id_card_shows_only_their_status(journey: Journey) -> None:
    j = journey
    j.ui.tap(key="attract.status")
    j.screen("status")
    j.slots.insert("x_check", "id")
    j.screen("status_progress")
    assert "张**" in j.texts()
    j.lift("id")  # reading the status and taking the card is fine
    assert j.app.sm.current == "status_progress"
    j.slots.insert("normal", "id")
    j.ui.wait_until(lambda: "王**" in j.texts(), 8, "the second person's status")
    _none_of(j, "张**")
    assert j.ctl.session.id_number == "110105198503071230"


def test_another_persons_ssc_on_a_card_list_ends_it(journey: Journey) -> None:
    j = journey
    j.show_cards("x_check")
    j.slots.insert("normal", "ssc")
    j.failure("wrong_card")  # pre-loss: the new person is asked for their ID card
    _none_of(j, "张**")
    assert j.ctl.session.person is None and j.ctl.session.id_number is None
    j.slots.remove("ssc")
