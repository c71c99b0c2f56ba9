"""The typed card events: every kind and slot the card hub can report parses to the
services' enums (a new hub kind without a services kind fails here)."""

from __future__ import annotations

from kiosk.devices.card_hub import SLOTS, HubEventKind
from kiosk.services.ports import CardEventKind, Slot


def test_every_hub_event_kind_is_a_card_event_kind() -> None:
    for kind in HubEventKind:
        parsed = CardEventKind.parse(kind)
        assert parsed is not CardEventKind.UNKNOWN, kind
        assert parsed == kind


def test_every_hub_slot_is_a_slot() -> None:
    assert {Slot.parse(s) for s in SLOTS} == {Slot.SSC, Slot.ID}


def test_unknown_values_do_not_raise() -> None:
    assert CardEventKind.parse("sparkles") is CardEventKind.UNKNOWN
    assert CardEventKind.parse(None) is CardEventKind.UNKNOWN
    assert Slot.parse("usb") is Slot.NONE and Slot.parse(None) is Slot.NONE
