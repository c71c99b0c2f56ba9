"""The cardholder PIN at the device level: exactly 6 ASCII digits, checked before any
APDU (a typed error), and the card is reset after VERIFY — right, wrong or failing — so no
PIN-verified state is left on it (the virtual card tracks that state and its resets)."""

from __future__ import annotations

import pytest

from kiosk.devices import ssc as ssc_profile
from kiosk.devices.pcsc.errors import CardError
from kiosk.devices.ssc import PinFormatError, pin_apdu
from kiosk.devices.virtual.ssc_card import VirtualSscCard

BAD_PINS = ["", "12345", "1234567", "12345a", "１２３４５６", "١٢٣٤٥٦", "12 456", "123456\n",
            "²³⁴⁵⁶⁷", None, 123456, b"123456"]


@pytest.mark.parametrize("pin", BAD_PINS)
def test_only_exactly_six_ascii_digits_make_an_apdu(pin):
    with pytest.raises(PinFormatError):
        pin_apdu(pin)  # type: ignore[arg-type]
    assert issubclass(PinFormatError, ValueError)  # callers catching ValueError still do


def test_a_bad_pin_sends_nothing_to_the_card():
    sent: list[bytes] = []

    def transmit(apdu: bytes) -> tuple[bytes, int]:
        sent.append(apdu)
        return b"", 0x9000

    with pytest.raises(PinFormatError):
        ssc_profile.verify_pin(transmit, "12345")
    assert sent == []
    assert pin_apdu("012345") == bytes.fromhex("0020000003012345")


def test_virtual_card_keeps_verified_state_until_reset():
    card = VirtualSscCard.from_persona("normal")
    card.reset()
    before = card.resets
    assert card.process(ssc_profile.SELECT_DDF1)[:1] == b"\x61"
    assert card.process(pin_apdu(card.pin)) == b"\x90\x00" and card.verified
    assert card.process(pin_apdu("000000" if card.pin != "000000" else "111111"))[:1] == \
        b"\x63" and not card.verified  # a wrong PIN drops it too
    card.process(pin_apdu(card.pin))
    card.reset()
    assert not card.verified and card.resets == before + 1


@pytest.mark.pcsc
def test_hub_resets_the_card_after_verify(card_hub):
    hub, events, slots = card_hub.hub, card_hub.events, card_hub.slots
    card = slots.insert("normal", "ssc")
    assert isinstance(card, VirtualSscCard)
    events.wait_for(lambda ev: ev.kind == "card_read" and ev.slot == "ssc")
    for attempt in (card.pin, "000000" if card.pin != "000000" else "111111"):
        resets = card.resets
        try:
            hub.verify_pin(attempt)
        except CardError as exc:
            assert exc.kind == "pin_wrong"
        assert not card.verified, attempt
        assert card.resets > resets, "the reader did not reset the card after VERIFY"
    hub.verify_pin(card.pin)  # the right PIN once more restores the tries
    apdus = card.apdus
    with pytest.raises(PinFormatError):
        hub.verify_pin("12345")
    assert card.apdus == apdus  # refused before the card saw anything
