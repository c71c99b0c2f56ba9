"""One person per session with the e-SSC, headless on the real client and sandbox: an
e-SSC scanned while someone is identified ends their data and identifies the new person;
an ID card after an e-SSC identification is a new person too (the kiosk cannot tell)."""

from __future__ import annotations

from kiosk.devices.card_hub import HubEvent
from kiosk.devices.events import CardEventKind
from kiosk.devices.idcard.text import build_text_block, parse_text_block
from kiosk.domain.models import IdCardData
from kiosk.personas import persona
from kiosk.services.states import EndReason, Journey, Step
from tests.essc.test_journeys_headless import rig  # noqa: F401 - the fixture


def _id_card(key: str) -> IdCardData:
    """The persona's ID card as the reader gives it (the virtual card's text block)."""
    return parse_text_block(build_text_block(persona(key)["id"]))


def test_a_scan_on_a_card_list_is_a_new_person(rig):  # noqa: F811
    ctl = rig.ctl
    rig.scan("normal")
    ctl.essc.choose("pre_loss")
    assert ctl.state.step == Step.CARDS and ctl.state.view.holder_masked == "王**"
    seen: list = []
    ctl.subscribe(seen.append)
    rig.scan("x_check")
    assert any(s.step == Step.HOME and s.end_reason == EndReason.NEW_PERSON for s in seen)
    assert (ctl.state.step, ctl.state.journey) == (Step.CARDS, Journey.PRE_LOSS)
    assert ctl.state.view.holder_masked == "张**"


def test_an_id_card_after_an_essc_identification_is_a_new_person(rig):  # noqa: F811
    ctl = rig.ctl
    ctl.start("pre_loss")
    rig.scan("normal")
    assert ctl.state.view.holder_masked == "王**"
    ctl.on_card_event(HubEvent(CardEventKind.CARD_READ, "id", _id_card("x_check")))
    rig.pump()
    assert ctl.state.step == Step.CARDS and ctl.state.view.holder_masked == "张**"
    # Nothing of the first identification is left: the cards are the new person's.
    assert ctl.session.person is not None and ctl.session.person.id_number == \
        persona("x_check")["id"]["id_number"]
