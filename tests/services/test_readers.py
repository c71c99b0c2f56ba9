"""No reader while waiting for a card: the failure says so, and the journey comes back
by itself when a reader (or the card service) is back."""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.services.states import Step
from tests.services.conftest import Rig
from tests.services.fakes import Event


@dataclass
class FakeReaders:
    """The card hub's ``reader_slots()``: None = unknown (service down)."""

    slots: frozenset[str] | None = field(default_factory=lambda: frozenset({"ssc", "id"}))

    def reader_slots(self) -> frozenset[str] | None:
        return self.slots


def kind(rig: Rig) -> str:
    failure = rig.ctl.state.failure
    return failure.kind if rig.ctl.state.step == Step.FAILED and failure else ""


def test_unknown_reader_state_never_claims_no_reader(rig: Rig) -> None:
    rig.ctl.readers = FakeReaders(None)
    rig.ctl.start("pre_loss")
    assert rig.ctl.state.step == Step.IDENTIFY


def test_no_reader_at_start_then_reader_plugged_in(rig: Rig) -> None:
    readers = FakeReaders(frozenset())
    rig.ctl.readers = readers
    rig.ctl.start("pre_loss")
    assert kind(rig) == "no_reader"
    assert rig.ctl.state.failure.retry
    rig.ctl.retry()  # still none: says so again
    assert kind(rig) == "no_reader"
    readers.slots = frozenset({"ssc", "id"})
    rig.ctl.on_card_event(Event("readers_changed", "id"))
    assert rig.ctl.state.step == Step.IDENTIFY


def test_back_from_no_reader_reaches_the_keypad(rig: Rig) -> None:
    rig.ctl.readers = FakeReaders(frozenset())
    rig.ctl.start("pre_loss")
    assert kind(rig) == "no_reader"
    rig.ctl.back()
    assert rig.ctl.state.step == Step.IDENTIFY
    rig.ctl.identify.use_keypad()
    assert rig.ctl.state.step == Step.ID_KEYPAD  # needs no reader: no failure
    rig.ctl.on_card_event(Event("readers_changed", "id"))
    assert rig.ctl.state.step == Step.ID_KEYPAD


def test_status_journey_needs_either_slot(rig: Rig) -> None:
    rig.ctl.readers = FakeReaders(frozenset({"ssc"}))
    rig.ctl.start("status")
    assert rig.ctl.state.step == Step.IDENTIFY
    rig.ctl.start("pre_loss")  # the ID card reader is the one missing
    assert kind(rig) == "no_reader"


def test_cancel_needs_the_ssc_reader(rig: Rig) -> None:
    rig.ctl.readers = FakeReaders(frozenset({"id"}))
    rig.ctl.start("cancel")
    assert kind(rig) == "no_reader"


def test_service_restart_without_readers_then_with(rig: Rig) -> None:
    readers = FakeReaders()
    rig.ctl.readers = readers
    rig.ctl.start("pre_loss")
    assert rig.ctl.state.step == Step.IDENTIFY
    readers.slots = None
    rig.ctl.on_card_event(Event("service_down", ""))
    assert kind(rig) == "reader_service"
    readers.slots = frozenset()
    rig.ctl.on_card_event(Event("service_up", ""))
    assert kind(rig) == "no_reader"
    readers.slots = None
    rig.ctl.on_card_event(Event("service_down", ""))  # restarted again, now with readers
    assert kind(rig) == "no_reader"
    readers.slots = frozenset({"ssc", "id"})
    rig.ctl.on_card_event(Event("service_up", ""))
    assert rig.ctl.state.step == Step.IDENTIFY


def test_reader_gone_while_waiting(rig: Rig) -> None:
    readers = FakeReaders()
    rig.ctl.readers = readers
    rig.ctl.start("pre_loss")
    readers.slots = frozenset({"ssc"})
    rig.ctl.on_card_event(Event("readers_changed", "id"))
    assert kind(rig) == "no_reader"
    rig.ctl.end()
    assert rig.ctl.state.step == Step.HOME


def test_site_without_an_id_reader_is_not_a_missing_reader(rig: Rig) -> None:
    import dataclasses

    rig.ctl.settings = dataclasses.replace(
        rig.ctl.settings, cards=dataclasses.replace(rig.ctl.settings.cards, id_reader="none"))
    rig.ctl.readers = FakeReaders(frozenset({"ssc"}))
    rig.ctl.start("pre_loss")
    assert rig.ctl.state.step == Step.IDENTIFY  # the keypad is the way in here
    rig.ctl.readers = FakeReaders(frozenset())
    rig.ctl.start("status")  # the SSC would do, and there is no reader for it
    assert kind(rig) == "no_reader"
