"""The whole stack: private pcscd + vpcd + virtual cards + pyscard + watcher + hub.

Fault tests kill and restart pcscd while watching and while reading, pull a card
mid-read, feed garbage, and leave a reader empty to check the watcher does not spin.
"""

from __future__ import annotations

import threading

import pytest

from kiosk.devices.card_hub import CardHub, HubEvent
from kiosk.devices.pcsc.errors import CardError
from kiosk.devices.pcsc.watcher import ReaderEvent, ReaderEventKind, ReaderWatcher
from kiosk.devices.virtual.ssc_card import VirtualSscCard
from tests.fixtures.pcsc import ID_READER, SSC_READER, EventRecorder
from tests.fixtures.polling import until

pytestmark = pytest.mark.pcsc


Recorder = EventRecorder


def kind(k: str, slot: str | None = None):
    return lambda ev: ev.kind == k and (slot is None or ev.slot == slot)


@pytest.fixture
def hub(card_hub):
    return card_hub.hub, card_hub.events, card_hub.slots


def test_watcher_initial_state_and_changes(virtual_slots, wait_card_state) -> None:
    virtual_slots.insert("normal", "id")
    wait_card_state(ID_READER, True)
    rec = Recorder()
    w = ReaderWatcher(rec)
    w.start()
    try:
        rec.wait_for(lambda e: e.kind == "card_inserted" and e.reader == ID_READER)
        first = [(e.kind, e.reader) for e in rec.events]
        assert first == [("reader_added", SSC_READER), ("reader_added", ID_READER),
                         ("card_inserted", ID_READER)]
        m = rec.mark()
        virtual_slots.insert("normal", "ssc")
        ev = rec.wait_for(lambda e: e.kind == "card_inserted", start=m)
        assert ev == ReaderEvent(ReaderEventKind.card_inserted, SSC_READER,
                                 VirtualSscCard.from_persona("normal").atr)
        virtual_slots.remove("ssc")
        rec.wait_for(lambda e: e.kind == "card_removed" and e.reader == SSC_READER, start=m)
    finally:
        w.stop()  # joins the thread (within its own limit); how fast: kiosk bench cards
        assert not w.alive


def test_hub_reads_both_slots(hub) -> None:
    h, rec, slots = hub
    slots.insert("rare_name", "ssc")
    slots.insert("expired_id", "id")
    ssc = rec.wait_for(kind("card_read", "ssc"))
    idc = rec.wait_for(kind("card_read", "id"))
    assert ssc.data.name == "欧阳喆赟" and ssc.apdus == 15  # how fast: kiosk bench cards
    assert idc.data.id_number == "110105199901010104" and idc.apdus == 2
    snap = h.snapshot()
    assert snap["service"] == "up" and snap["watcher_alive"]
    assert [(r["name"], r["slot"], r["card_present"]) for r in snap["readers"]] == [
        (SSC_READER, "ssc", True), (ID_READER, "id", True)]
    assert "欧阳" not in repr(snap)
    m = rec.mark()
    slots.remove("ssc")
    rec.wait_for(kind("card_removed", "ssc"), start=m)
    assert h.snapshot()["readers"][0]["card_present"] is False


@pytest.mark.parametrize(("persona", "error"), [
    ("garbage", "unsupported_card"), ("foreign", "not_ssc"), ("transparent_files", "not_ssc"),
    ("pulled", "card_removed"),
])
def test_hub_bad_cards(hub, persona: str, error: str) -> None:
    h, rec, slots = hub
    slots.insert(persona, "ssc")
    ev: HubEvent = rec.wait_for(kind("card_failed", "ssc"))
    assert isinstance(ev.error, CardError) and ev.error.kind == error, ev.error
    if persona == "pulled":
        # Failure first, then the removal, in that order, for the same slot.
        rm = rec.wait_for(kind("card_removed", "ssc"))
        assert rec.events.index(rm) > rec.events.index(ev)
        assert slots.status()["ssc"] is None


def test_hub_verify_pin(hub) -> None:
    h, rec, slots = hub
    with pytest.raises(CardError) as ei:
        h.verify_pin("123456")
    assert ei.value.kind == "no_card"
    slots.insert("pin_one_try", "ssc")
    rec.wait_for(kind("card_read", "ssc"))
    h.verify_pin("123456")
    with pytest.raises(CardError) as ei:
        h.verify_pin("654321")
    assert (ei.value.kind, ei.value.tries_left) == ("pin_wrong", 2)
    for _ in range(2):
        with pytest.raises(CardError):
            h.verify_pin("654321")
    with pytest.raises(CardError) as ei:
        h.verify_pin("123456")
    assert ei.value.kind == "pin_blocked"
    # Blocked stays blocked across remove/insert (same card, as in a wallet).
    m = rec.mark()
    slots.remove("ssc")
    rec.wait_for(kind("card_removed", "ssc"), start=m)
    slots.insert("pin_one_try", "ssc")
    rec.wait_for(kind("card_read", "ssc"), start=m)
    with pytest.raises(CardError) as ei:
        h.verify_pin("123456")
    assert ei.value.kind == "pin_blocked"
    slots.insert("pin_blocked", "ssc")
    rec.wait_for(kind("card_read", "ssc"), start=rec.mark() - 1)


def test_pcscd_killed_and_restarted_while_watching(hub, pcscd_alive) -> None:
    h, rec, slots = hub
    slots.insert("normal", "ssc")
    rec.wait_for(kind("card_read", "ssc"))
    m = rec.mark()
    pcscd_alive.kill()
    rec.wait_for(kind("service_down"), start=m)
    rec.wait_for(kind("card_removed", "ssc"), start=m)
    assert h.snapshot()["service"] == "down"
    pcscd_alive.start()
    rec.wait_for(kind("service_up"), start=m)
    # The virtual card reconnects to the new vpcd; the hub reads it again.
    ev = rec.wait_for(kind("card_read", "ssc"), start=m)
    assert ev.data.card_number == "X00000019"
    assert h.watcher.alive and h.snapshot()["service"] == "up"


def test_pcscd_orderly_stop_and_no_readers(hub, pcscd_alive) -> None:
    h, rec, slots = hub
    m = rec.mark()
    pcscd_alive.stop()
    rec.wait_for(kind("service_down"), start=m)
    pcscd_alive.start(with_vpcd=False)  # a terminal with every reader unplugged
    rec.wait_for(kind("service_up"), start=m)
    until(lambda: h.snapshot()["readers"] == [], 5, "no reader listed")
    # Idle on the PnP pseudo-reader, not polling: kiosk bench cards (idle_no_readers).
    assert h.watcher.alive
    m2 = rec.mark()
    pcscd_alive.restart(with_vpcd=True)
    rec.wait_for(lambda ev: ev.kind == "readers_changed" and ev.reader == SSC_READER, start=m2)
    slots.insert("x_check", "ssc")
    assert rec.wait_for(kind("card_read", "ssc"), start=m2).data.ssn.endswith("X")


class GatedCard(VirtualSscCard):
    """Stops answering at APDU number ``at`` until ``gate`` is set."""

    def __init__(self, at: int) -> None:
        base = VirtualSscCard.from_persona("normal")
        self.__dict__.update(base.__dict__)
        self.at, self.gate, self.reached = at, threading.Event(), threading.Event()

    def process(self, apdu: bytes):
        if self.apdus + 1 == self.at and not self.gate.is_set():
            self.reached.set()
            self.gate.wait(10)
        return super().process(apdu)


def test_pcscd_killed_during_a_read(hub, pcscd_alive) -> None:
    h, rec, slots = hub
    card = GatedCard(at=6)
    slots.slots["ssc"].insert(card)
    assert card.reached.wait(8)
    m = rec.mark()
    pcscd_alive.kill()
    card.gate.set()
    failed = rec.wait_for(kind("card_failed", "ssc"), start=m - 1)
    assert failed.error.kind in ("service_down", "card_removed", "comm_failed")
    rec.wait_for(kind("service_down"), start=m)
    pcscd_alive.start()
    ev = rec.wait_for(kind("card_read", "ssc"), start=m)
    assert ev.data.card_number == "X00000019"


def test_card_removed_during_a_read(hub) -> None:
    h, rec, slots = hub
    card = GatedCard(at=9)
    slots.slots["ssc"].insert(card)
    assert card.reached.wait(8)
    # Pull the card while the profile waits for an answer, then let the card go on
    # (remove() waits for the card's thread, held at the gate: opened once pulled).
    slot = slots.slots["ssc"]
    threading.Thread(target=lambda: (until(lambda: slot.card is None, 8, "the card pulled"),
                                     card.gate.set())).start()
    slot.remove()
    ev = rec.wait_for(kind("card_failed", "ssc"))
    assert ev.error.kind in ("card_removed", "comm_failed")
    rec.wait_for(kind("card_removed", "ssc"))


def test_hub_with_a_serial_id_reader(pcsc_settings, pcscd_alive) -> None:
    import dataclasses

    from kiosk.devices.virtual.id_serial import VirtualSerialIdReader

    virtual = VirtualSerialIdReader()
    settings = dataclasses.replace(pcsc_settings, cards=dataclasses.replace(
        pcsc_settings.cards, id_reader="serial", id_serial_port=virtual.port))
    rec = Recorder()
    h = CardHub(settings, rec)
    h.start()
    try:
        virtual.present("expired_id")
        ev = rec.wait_for(kind("card_read", "id"))
        assert ev.data.id_number == "110105199901010104" and ev.reader == "serial"
        rec.wait_for(lambda e: e.kind == "readers_changed" and e.reader == ID_READER)
        snap = h.snapshot()
        assert snap["id_reader"] == "serial" and snap["id_reader_status"] == "ready"
        # Every reader, including "Virtual PCD 00 01", is an SSC reader now.
        assert {r["slot"] for r in snap["readers"]} == {"ssc"}
        # Already read: no second event until lifted and presented again. The reader
        # is asked again and again meanwhile; after a few more questions there is still
        # one read.
        polled = virtual.polls
        until(lambda: virtual.polls >= polled + 3, 10, "the serial reader asked again")
        assert sum(1 for e in rec.events if e.kind == "card_read") == 1
    finally:
        h.stop()
        virtual.close()


def test_hub_with_a_missing_sdk_library(pcsc_settings, pcscd_alive, tmp_path) -> None:
    import dataclasses

    settings = dataclasses.replace(pcsc_settings, cards=dataclasses.replace(
        pcsc_settings.cards, id_reader="sdk", id_sdk_library=str(tmp_path / "libno.so")))
    rec = Recorder()
    h = CardHub(settings, rec)
    h.start()
    try:
        ev = rec.wait_for(kind("card_failed", "id"))
        assert ev.error.kind == "no_reader" and "id_sdk_library" in str(ev.error)
        assert h.snapshot()["id_reader_status"] == "no_reader"
    finally:
        h.stop()
        assert not h.watcher.alive


def test_hub_stop_from_inside_a_callback(pcsc_settings, virtual_slots) -> None:
    """A listener may stop the hub (e.g. the app shutting down on an event)."""
    rec = Recorder()
    holder: list[CardHub] = []

    def on_event(ev) -> None:
        rec(ev)
        if ev.kind == "card_read":
            holder[0].stop()

    h = CardHub(pcsc_settings, on_event)
    holder.append(h)
    h.start()
    virtual_slots.insert("normal", "ssc")
    rec.wait_for(kind("card_read", "ssc"))
    until(lambda: not h.watcher.alive, 3, "the watcher stopped from its own callback")
