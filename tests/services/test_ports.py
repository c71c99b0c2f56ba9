"""The typed card events: one definition (kiosk.devices.events) that the hub emits and
the services read, and every slot the hub knows parses."""

from __future__ import annotations

import subprocess
import sys
import typing

from kiosk.devices import card_hub, events
from kiosk.devices.card_hub import SLOTS, HubEvent
from kiosk.services import ports
from kiosk.services.ports import CardEventKind, Slot


def test_one_definition_of_the_event_vocabulary() -> None:
    assert ports.CardEventKind is events.CardEventKind is card_hub.CardEventKind
    assert ports.Slot is events.Slot
    assert typing.get_type_hints(HubEvent)["kind"] is events.CardEventKind
    for kind in CardEventKind:
        assert CardEventKind.parse(str(kind)) is kind


def test_the_event_vocabulary_loads_without_pyscard() -> None:
    code = ("import sys, kiosk.services.ports; "
            "assert 'smartcard' not in sys.modules, 'pyscard loaded'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_every_hub_slot_is_a_slot() -> None:
    assert {Slot.parse(s) for s in SLOTS} == {Slot.SSC, Slot.ID}


def test_unknown_values_do_not_raise() -> None:
    assert CardEventKind.parse("sparkles") is CardEventKind.UNKNOWN
    assert CardEventKind.parse(None) is CardEventKind.UNKNOWN
    assert Slot.parse("usb") is Slot.NONE and Slot.parse(None) is Slot.NONE
