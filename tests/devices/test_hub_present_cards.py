"""Card hub over the real stack (private pcscd + vpcd + virtual cards): re-reading a card
already on the reader, and technician cards recognised by ATR and never read."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from kiosk.devices.card_hub import CardHub
from kiosk.devices.events import CardEventKind
from kiosk.devices.technician_card import TechnicianCards, normalise_atr
from kiosk.devices.virtual.technician_card import TECHNICIAN_ATR
from kiosk.domain.models import IdCardData, SscCardData
from tests.fixtures.pcsc import ID_READER, SSC_READER, EventRecorder, HubHarness

pytestmark = pytest.mark.pcsc


def kind(k: str, slot: str | None = None):
    return lambda ev: ev.kind == k and (slot is None or ev.slot == slot)


def test_reread_reads_a_present_card_again(card_hub: HubHarness) -> None:
    hub, rec, slots = card_hub.hub, card_hub.events, card_hub.slots
    assert hub.reread("id") is False  # nothing on the reader: nothing emitted
    assert hub.reread("ssc") is False
    slots.insert("normal", "id")
    first = rec.wait_for(kind("card_read", "id"))
    m = rec.mark()
    assert hub.reread("id") is True
    again = rec.wait_for(kind("card_read", "id"), start=m)
    assert isinstance(again.data, IdCardData) and again.reader == ID_READER
    assert again.data.id_number == first.data.id_number and again.apdus > 0
    assert hub.reread("ssc") is False  # the other slot is still empty
    with pytest.raises(ValueError):
        hub.reread("printer")


def test_reread_of_a_bad_or_vanished_card_fails_like_an_insert(card_hub: HubHarness) -> None:
    hub, rec, slots = card_hub.hub, card_hub.events, card_hub.slots
    slots.insert("foreign", "ssc")
    rec.wait_for(kind("card_failed", "ssc"))
    m = rec.mark()
    assert hub.reread("ssc") is True
    failed = rec.wait_for(kind("card_failed", "ssc"), start=m)
    assert failed.error.kind == "not_ssc"  # a bank card: another kind of card
    slots.insert("normal", "ssc")
    rec.wait_for(lambda ev: ev.kind == "card_read" and isinstance(ev.data, SscCardData),
                 start=m)
    m = rec.mark()
    slots.remove("ssc")
    rec.wait_for(kind("card_removed", "ssc"), start=m)
    assert hub.reread("ssc") is False


@pytest.fixture
def tech_hub(pcsc_settings, virtual_slots) -> Iterator[HubHarness]:
    s = pcsc_settings
    settings = dataclasses.replace(s, diagnostics=dataclasses.replace(
        s.diagnostics, technician_card_atrs=(TECHNICIAN_ATR.hex().upper(),)))
    events = EventRecorder()
    hub = CardHub(settings, events)
    hub.start()
    events.wait_for(lambda ev: ev.kind == "readers_changed" and ev.reader == ID_READER)
    yield HubHarness(hub, events, virtual_slots)
    hub.stop()


@pytest.mark.parametrize("slot,reader", [("ssc", SSC_READER), ("id", ID_READER)])
def test_technician_card_is_recognised_and_never_read(tech_hub: HubHarness, slot: str,
                                                      reader: str) -> None:
    hub, rec, slots = tech_hub.hub, tech_hub.events, tech_hub.slots
    card = slots.insert("technician", slot)
    ev = rec.wait_for(kind("technician_card", slot))
    assert ev.reader == reader and ev.data is None and ev.error is None
    assert hub.reread(slot) is True  # a re-read recognises it again, still unread
    rec.wait_for(lambda e: e.kind == "technician_card" and e is not ev)
    assert card.apdus == 0
    assert not [e for e in rec.events if e.kind in ("card_read", "card_failed")]
    snap = {r["name"]: r for r in hub.snapshot()["readers"]}
    assert snap[reader]["atr"] == TECHNICIAN_ATR.hex().upper()
    slots.remove(slot)
    rec.wait_for(kind("card_removed", slot))
    # Other cards are read as before while technician cards are configured.
    slots.insert("normal", "ssc")
    rec.wait_for(kind("card_read", "ssc"))


def test_without_the_setting_a_technician_card_is_just_an_unknown_card(
        card_hub: HubHarness) -> None:
    rec, slots = card_hub.events, card_hub.slots
    slots.insert("technician", "ssc")
    failed = rec.wait_for(kind("card_failed", "ssc"))
    assert failed.error.kind == "not_ssc"  # no social security application
    assert not [e for e in rec.events if e.kind == CardEventKind.TECHNICIAN_CARD]


def test_atr_matching() -> None:
    cards = TechnicianCards(["3b 88 80 01 4b 49 4f 53 4b 54 45 43", ""])
    assert cards.enabled
    assert cards.matches(TECHNICIAN_ATR)
    assert not cards.matches(TECHNICIAN_ATR + b"\x00")  # exact ATR, not a prefix
    assert not cards.matches(b"") and not cards.matches(None)
    assert not TechnicianCards().enabled and not TechnicianCards().matches(TECHNICIAN_ATR)
    assert normalise_atr("3b:8f 80") == "3B8F80"
