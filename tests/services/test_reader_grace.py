"""A reader or the card service gone during a card step is said only if it lasts
(``session.reader_grace_seconds``): a pcscd restart (down, then up again with its
readers) shows no failure at all; one that stays down shows it after the grace period,
and the screen follows the service back. The states the controller publishes are
recorded: what matters is the sequence, never how long it took."""

from __future__ import annotations

import dataclasses

from kiosk.config import SessionSection
from kiosk.services.states import Step
from tests.fixtures.polling import until
from tests.services.conftest import Rig
from tests.services.fakes import Event
from tests.services.test_readers import FakeReaders, kind


def _graced(rig: Rig, seconds: float) -> list[str]:
    rig.ctl.settings = dataclasses.replace(
        rig.ctl.settings, session=SessionSection(reader_grace_seconds=seconds))
    shown: list[str] = []
    rig.ctl.subscribe(lambda st: shown.append(
        st.failure.kind.value if st.failure is not None else st.step.value))
    return shown


def test_a_restart_within_the_grace_shows_no_failure(rig: Rig) -> None:
    shown = _graced(rig, 30)
    readers = FakeReaders()
    rig.ctl.readers = readers
    rig.ctl.start("pre_loss")
    readers.slots = None
    rig.ctl.on_card_event(Event("service_down", ""))
    readers.slots = frozenset()
    rig.ctl.on_card_event(Event("service_up", ""))          # back, readers not yet listed
    readers.slots = frozenset({"ssc", "id"})
    rig.ctl.on_card_event(Event("readers_changed", "id"))   # and the readers
    rig.dispatch.run_pending()
    assert rig.ctl.state.step == Step.IDENTIFY
    assert "reader_service" not in shown and "no_reader" not in shown, shown


def test_a_service_that_stays_down_is_said_after_the_grace(rig: Rig) -> None:
    shown = _graced(rig, 0.2)
    readers = FakeReaders()
    rig.ctl.readers = readers
    rig.ctl.start("status")
    readers.slots = None
    rig.ctl.on_card_event(Event("service_down", ""))
    assert rig.ctl.state.step == Step.IDENTIFY   # not yet: it may be a restart
    until(lambda: rig.dispatch.run_pending(wait=0.05) >= 0 and kind(rig) == "reader_service",
          10, "the failure after the grace")
    readers.slots = frozenset({"ssc", "id"})
    rig.ctl.on_card_event(Event("service_up", ""))
    assert rig.ctl.state.step == Step.IDENTIFY
    assert shown.count("reader_service") == 1


def test_a_reader_unplugged_and_not_back_is_said_after_the_grace(rig: Rig) -> None:
    _graced(rig, 0.2)
    readers = FakeReaders()
    rig.ctl.readers = readers
    rig.ctl.start("pre_loss")
    readers.slots = frozenset({"ssc"})
    rig.ctl.on_card_event(Event("readers_changed", "id"))
    assert rig.ctl.state.step == Step.IDENTIFY
    until(lambda: rig.dispatch.run_pending(wait=0.05) >= 0 and kind(rig) == "no_reader",
          10, "no reader after the grace")


def test_the_grace_ends_harmlessly_after_the_session(rig: Rig) -> None:
    _graced(rig, 0.2)
    readers = FakeReaders()
    rig.ctl.readers = readers
    rig.ctl.start("pre_loss")
    readers.slots = None
    rig.ctl.on_card_event(Event("service_down", ""))
    rig.ctl.end()
    until(lambda: rig.dispatch.run_pending(wait=0.05) > 0, 10, "the grace timer's look")
    assert rig.ctl.state.step == Step.HOME
