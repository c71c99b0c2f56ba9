"""Legal ISO 7816-4 answers of another card operating system (as vsmartcard's ``vicc``
gives them), through the whole stack: private pcscd + vpcd + the virtual cards of the
personas ``short_records`` (6282), ``pin_no_counter`` (6300) and ``transparent_files``
(6981) + pyscard + the card hub."""

from __future__ import annotations

import pytest

from kiosk.devices.card_hub import HubEvent
from kiosk.devices.pcsc.errors import CardError
from kiosk.devices.ssc import SELECT_DDF1
from kiosk.devices.virtual.ssc_card import VirtualSscCard

pytestmark = pytest.mark.pcsc


def kind(k: str, slot: str = "ssc"):
    return lambda ev: ev.kind == k and ev.slot == slot


def test_the_virtual_card_answers_an_unpadded_name_record_with_6282() -> None:
    card = VirtualSscCard.from_persona("short_records")
    card.process(SELECT_DDF1)
    assert card.process(bytes.fromhex("00A4000002EF06")) == b"\x90\x00"
    answer = card.process(bytes.fromhex("00B2090020"))   # 32 bytes asked, 8 held
    assert answer[:2] == b"\x09\x06" and answer[-2:] == b"\x62\x82"
    assert answer[2:-2].decode("gb18030") == "周文华"


def test_6282_with_a_complete_record_reads(card_hub) -> None:
    card_hub.slots.insert("short_records", "ssc")
    ev: HubEvent = card_hub.events.wait_for(
        lambda e: e.slot == "ssc" and e.kind in ("card_read", "card_failed"))
    assert ev.kind == "card_read", ev.error
    assert ev.data.name == "周文华" and ev.data.card_number == "X00000205"
    assert ev.data.ssn == "110102199002140037"


def test_6300_after_verify_is_a_wrong_pin_with_unknown_tries(card_hub) -> None:
    card_hub.slots.insert("pin_no_counter", "ssc")
    card_hub.events.wait_for(kind("card_read"))
    with pytest.raises(CardError) as ei:
        card_hub.hub.verify_pin("000000")
    err = ei.value
    assert (err.kind, err.tries_left, err.raw_code) == ("pin_wrong", None, 0x6300)
    card_hub.hub.verify_pin("123456")   # the right PIN still opens it


def test_6981_is_a_card_of_another_layout_not_a_read_failure(card_hub) -> None:
    card_hub.slots.insert("transparent_files", "ssc")
    ev: HubEvent = card_hub.events.wait_for(kind("card_failed"))
    assert isinstance(ev.error, CardError)
    assert (ev.error.kind, ev.error.raw_code) == ("not_ssc", 0x6981)


def test_a_bank_card_is_not_a_social_security_card(card_hub) -> None:
    card_hub.slots.insert("foreign", "ssc")
    ev: HubEvent = card_hub.events.wait_for(kind("card_failed"))
    assert (ev.error.kind, ev.error.raw_code) == ("not_ssc", 0x6A82)
