"""Small but visible: the words after a card was read, without anything typed."""

from __future__ import annotations

from kiosk.i18n import translate
from kiosk.services.states import Step
from tests.services.conftest import Rig
from tests.services.fakes import Event, id_card, ssc_card, status


def test_an_id_card_not_found_is_not_told_to_check_a_number(rig: Rig) -> None:
    rig.ctl.start("pre_loss")
    rig.ctl.on_card_event(Event("card_read", "id", id_card("11010519491231002X")))
    rig.pump()
    f = rig.ctl.state.failure
    assert rig.ctl.state.step == Step.FAILED and f.kind == "person_not_found"
    assert f.advice_key == "journeys.failure.person_not_found.advice_card"
    assert "核对号码" not in translate(f.advice_key, "zh_CN", **f.params)
    assert "check the number" not in translate(f.advice_key, "en", **f.params)


def test_an_ssc_not_found_is_not_told_to_check_a_number(rig: Rig) -> None:
    rig.ctl.start("status")
    rig.ctl.on_card_event(Event("card_read", "ssc", ssc_card("X99999999")))
    rig.pump()
    f = rig.ctl.state.failure
    assert f is not None and f.advice_key.endswith("advice_card")


def test_a_typed_number_not_found_is_asked_to_check_it(rig: Rig) -> None:
    rig.ctl.start("pre_loss")
    rig.ctl.identify.use_keypad()
    rig.ctl.identify.submit_id_number("11010519491231002X")
    rig.pump()
    f = rig.ctl.state.failure
    assert f is not None and f.kind == "person_not_found"
    assert f.advice_key == "journeys.failure.person_not_found.advice"


def test_a_card_pre_lost_by_phone_shows_when_it_lapses(rig: Rig) -> None:
    import datetime as dt

    from tests.services.conftest import PRE_LOSS_ID

    rig.central.statuses["X00000094"] = status("X00000094", "pre_lost", lapses_on="2026-12-03")
    rig.ctl.start("pre_loss")
    rig.ctl.on_card_event(Event("card_read", "id", id_card(PRE_LOSS_ID, name="孙建华")))
    rig.pump(until=Step.CARDS)
    (card,) = rig.ctl.state.view.cards
    assert card.lapses_on == dt.date(2026, 12, 3) and not card.offerable
    assert card.explain_key == "journeys.cards.state.pre_lost_until"
    assert "2026-12-03" in translate(card.explain_key, "zh_CN", date="2026-12-03")
    assert rig.central.ops().count("card_status") == 1


def test_without_the_services_date_the_card_is_still_explained(rig: Rig) -> None:
    from tests.services.conftest import PRE_LOSS_ID
    from tests.services.fakes import CentralOffline

    rig.central.errors["card_status"] = CentralOffline("down")
    rig.ctl.start("pre_loss")
    rig.ctl.on_card_event(Event("card_read", "id", id_card(PRE_LOSS_ID, name="孙建华")))
    rig.pump(until=Step.CARDS)
    (card,) = rig.ctl.state.view.cards
    assert card.lapses_on is None and card.explain_key == "journeys.cards.state.pre_lost"
