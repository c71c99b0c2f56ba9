"""Small but visible: the words after a card was read, without anything typed."""

from __future__ import annotations

from kiosk.i18n import translate
from kiosk.services.states import Step
from tests.services.conftest import Rig
from tests.services.fakes import Event, id_card, ssc_card


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
