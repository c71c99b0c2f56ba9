"""A card already lying on the reader when a journey starts is read then.

Through the real stack: the parts from ``build_kiosk`` (CardHub on the private pcscd with
virtual cards, CentralClient on the sandbox over HTTP, SQLite outbox), driven headless
with a QueueDispatcher. Plus the rule itself (:func:`slots_to_read`) as a unit.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kiosk.services.present import PresentCards, slots_to_read
from kiosk.services.states import Journey, State, Step
from kiosk.services.tasks import QueueDispatcher
from tests.fixtures.pcsc import ID_READER, SSC_READER


# ---- the rule ------------------------------------------------------------------------
def st(step: Step, journey: Journey) -> State:
    return State(step=step, journey=journey)


HOME = st(Step.HOME, Journey.NONE)


@pytest.mark.parametrize("before,now,slots", [
    (HOME, st(Step.IDENTIFY, Journey.PRE_LOSS), ("id",)),
    (None, st(Step.IDENTIFY, Journey.PRE_LOSS), ("id",)),
    (HOME, st(Step.IDENTIFY, Journey.STATUS), ("id", "ssc")),
    (st(Step.GUIDANCE_TOPIC, Journey.GUIDANCE), st(Step.IDENTIFY, Journey.PRE_LOSS), ("id",)),
    (HOME, st(Step.CANCEL_INSERT_SSC, Journey.CANCEL), ("ssc",)),
    (st(Step.BUSY, Journey.CANCEL), st(Step.CANCEL_INSERT_ID, Journey.CANCEL), ("id",)),
    # back from the person's own cards ("someone else's card?"): the card lying there
    # would bring the same person straight back, so no re-read
    (st(Step.CARDS, Journey.PRE_LOSS), st(Step.IDENTIFY, Journey.PRE_LOSS), ()),
    # Back or "try again" from a failure or the keypad: the card there is read again
    (st(Step.FAILED, Journey.PRE_LOSS), st(Step.IDENTIFY, Journey.PRE_LOSS), ("id",)),
    (st(Step.ID_KEYPAD, Journey.PRE_LOSS), st(Step.IDENTIFY, Journey.PRE_LOSS), ("id",)),
    (st(Step.FAILED, Journey.STATUS), st(Step.IDENTIFY, Journey.STATUS), ("id", "ssc")),
    (st(Step.FAILED, Journey.CANCEL), st(Step.CANCEL_INSERT_SSC, Journey.CANCEL), ("ssc",)),
    (st(Step.FAILED, Journey.CANCEL), st(Step.CANCEL_INSERT_ID, Journey.CANCEL), ("id",)),
    (HOME, st(Step.GUIDANCE_INDEX, Journey.GUIDANCE), ()),
    (st(Step.IDENTIFY, Journey.PRE_LOSS), st(Step.BUSY, Journey.PRE_LOSS), ()),
])
def test_which_slots_are_read_again(before, now, slots):
    assert slots_to_read(before, now) == slots


class Reader:
    def __init__(self, present: set[str], fail: bool = False) -> None:
        self.present, self.fail, self.asked = present, fail, []

    def reread(self, slot: str) -> bool:
        self.asked.append(slot)
        if self.fail:
            raise RuntimeError("reader gone")
        return slot in self.present


def test_listener_reads_the_first_present_slot_only():
    reader = Reader({"ssc"})
    listen = PresentCards(reader)
    listen(HOME)
    listen(st(Step.IDENTIFY, Journey.STATUS))
    assert reader.asked == ["id", "ssc"]  # no ID card: the SSC is read
    reader = Reader({"id", "ssc"})
    listen = PresentCards(reader)
    listen(st(Step.IDENTIFY, Journey.STATUS))
    assert reader.asked == ["id"]
    failing = Reader(set(), fail=True)
    PresentCards(failing)(st(Step.IDENTIFY, Journey.STATUS))  # logged, not raised
    assert failing.asked == ["id", "ssc"]


# ---- the real stack ---------------------------------------------------------------------
@dataclasses.dataclass
class Stack:
    """The parts, watched: ``handled`` (kind, slot) of each card event the controller
    handled, ``rereads`` (slot, whether a card was there to read) of each re-read asked
    of the hub. So "and nothing was read" is asserted on what was asked, not after a
    wait."""

    parts: Any
    slots: Any
    dispatch: QueueDispatcher
    handled: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    rereads: list[tuple[str, bool]] = dataclasses.field(default_factory=list)

    def watch(self) -> Stack:
        controller, hub = self.parts.controller, self.parts.hub
        handle, reread = controller.on_card_event, hub.reread

        def on_card_event(event: Any) -> None:
            handle(event)
            self.handled.append((str(event.kind), str(event.slot)))

        def asked(slot: str) -> bool:
            found = reread(slot)
            self.rereads.append((slot, found))
            return found

        controller.on_card_event, hub.reread = on_card_event, asked
        return self

    @property
    def ctl(self) -> Any:
        return self.parts.controller

    def pump_until(self, pred: Callable[[], bool], timeout: float = 8.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.dispatch.run_pending(wait=0.05)
            if pred():
                return
        raise AssertionError(f"{what or 'condition'} not reached; state {self.ctl.state}")

    def reach(self, step: Step, timeout: float = 8.0) -> None:
        self.pump_until(lambda: self.ctl.state.step == step, timeout, str(step))

    def seen(self, kinds: tuple[str, ...], slot: str, since: int = 0) -> None:
        """Wait until the controller handled an event of one of ``kinds`` on ``slot``."""
        self.pump_until(lambda: any(k in kinds and s == slot
                                    for k, s in self.handled[since:]), 8,
                        f"{'/'.join(kinds)} on the {slot} slot handled")

    def card_seen(self, reader: str) -> None:
        """Wait until the card on ``reader`` was read and the read (ignored at the
        attract screen) went through the controller."""
        self.seen(("card_read", "card_failed"), {ID_READER: "id", SSC_READER: "ssc"}[reader])

    def lift(self, slot: str) -> None:
        """Take the card off ``slot``'s reader; return once the controller handled it."""
        mark = len(self.handled)
        self.slots.remove(slot)
        self.seen(("card_removed",), slot, mark)


@pytest.fixture
def stack(central_settings, virtual_slots, pcscd_alive) -> Iterator[Stack]:
    from kiosk.composition.parts import build_kiosk

    s = central_settings
    settings = dataclasses.replace(
        s, kiosk=dataclasses.replace(s.kiosk, site="outlet"),
        features=dataclasses.replace(s.features, cancel_pre_loss=True),
        cards=dataclasses.replace(s.cards, id_reader="pcsc", ssc_reader="", id_pcsc_reader=""))
    dispatch = QueueDispatcher()
    parts = build_kiosk(settings, dispatch)
    stack = Stack(parts, virtual_slots, dispatch).watch()
    parts.start()
    yield stack
    parts.stop()


@pytest.mark.pcsc
def test_id_card_on_the_reader_before_pre_loss_is_used(stack: Stack):
    stack.slots.insert("normal", "id")
    stack.card_seen(ID_READER)
    assert stack.ctl.state.step == Step.HOME  # a card alone starts nothing
    stack.ctl.start("pre_loss")
    stack.reach(Step.CARDS)
    assert stack.ctl.session.id_number == "110105198503071230"
    assert [c.card_number_masked for c in stack.ctl.state.view.cards] == ["*****0019"]
    # Back to identify: the card still lying there is not taken again by itself.
    asked = len(stack.rereads)
    stack.ctl.back()
    assert stack.ctl.state.step == Step.IDENTIFY
    assert stack.rereads[asked:] == []  # no read asked of the hub
    stack.dispatch.run_pending()
    assert stack.ctl.state.step == Step.IDENTIFY
    # Presenting it again works as before.
    stack.lift("id")
    stack.slots.insert("normal", "id")
    stack.reach(Step.CARDS)


@pytest.mark.pcsc
def test_without_a_card_the_journey_waits(stack: Stack):
    stack.ctl.start("pre_loss")
    assert stack.rereads == [("id", False)]  # asked, and no card there to read
    stack.dispatch.run_pending()
    assert stack.ctl.state.step == Step.IDENTIFY
    stack.slots.insert("normal", "id")
    stack.reach(Step.CARDS)


@pytest.mark.pcsc
def test_ssc_on_the_reader_before_status(stack: Stack):
    stack.slots.insert("normal", "ssc")
    stack.card_seen(SSC_READER)
    stack.ctl.start("status")
    stack.reach(Step.STATUS)
    assert stack.ctl.session.ssc_card is not None


@pytest.mark.pcsc
def test_cancel_with_both_cards_already_on_the_readers(stack: Stack):
    stack.slots.insert("pin_one_try", "ssc")
    stack.slots.insert("pin_one_try", "id")
    stack.card_seen(SSC_READER)
    stack.card_seen(ID_READER)
    stack.ctl.start("cancel")
    stack.reach(Step.CANCEL_PIN)
    stack.ctl.cancel.submit_pin("123456")
    stack.reach(Step.CANCEL_CONFIRM)  # the ID card lying there was read after the PIN
    assert stack.ctl.session.id_number == "110106198802280020"


@pytest.mark.pcsc
def test_back_from_the_keypad_reads_the_card_still_lying_there(stack: Stack):
    stack.slots.insert("normal", "id")
    stack.card_seen(ID_READER)
    stack.ctl.start("pre_loss")
    stack.reach(Step.CARDS)
    asked = len(stack.rereads)
    stack.ctl.back()  # "someone else's card?": not taken again by itself
    assert stack.rereads[asked:] == []
    stack.dispatch.run_pending()
    assert stack.ctl.state.step == Step.IDENTIFY
    stack.ctl.identify.use_keypad()
    assert stack.ctl.state.step == Step.ID_KEYPAD
    stack.ctl.back()  # back to "place your ID card": read at once, not lift+place
    stack.reach(Step.CARDS)
    assert stack.ctl.session.id_number == "110105198503071230"
