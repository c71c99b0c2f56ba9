"""No silent waits: a "place/insert your card" step knows when the card service is down
(says so at once, names the other ways in, follows the service back), and each wait
has a limit (config) after which the person is told in plain words."""

from __future__ import annotations

import dataclasses

from kiosk.config import SessionSection
from kiosk.i18n import translate
from kiosk.services.states import Step
from tests.services.conftest import Rig
from tests.services.fakes import Event
from tests.services.test_readers import FakeReaders, kind


def test_started_while_the_card_service_is_down_says_so_at_once(rig: Rig) -> None:
    readers = FakeReaders(None)
    rig.ctl.readers = readers
    rig.ctl.on_card_event(Event("service_down", ""))  # at the attract screen
    rig.ctl.start("pre_loss")
    assert kind(rig) == "reader_service"
    f = rig.ctl.state.failure
    assert f.offers_keypad and f.advice_key == "journeys.failure.reader_service.advice"
    rig.ctl.retry()  # still down: not back to a silent wait
    assert kind(rig) == "reader_service"
    readers.slots = frozenset({"ssc", "id"})
    rig.ctl.on_card_event(Event("service_up", ""))
    assert rig.ctl.state.step == Step.IDENTIFY  # the screen follows the service back


def test_the_hubs_snapshot_is_enough_to_know_it_is_down(rig: Rig) -> None:
    class DownHub(FakeReaders):
        def snapshot(self) -> dict[str, str]:
            return {"service": "down"}

    rig.ctl.readers = DownHub(None)
    rig.ctl.start("status")
    assert kind(rig) == "reader_service"


def test_unknown_is_still_not_down(rig: Rig) -> None:
    rig.ctl.readers = FakeReaders(None)
    rig.ctl.start("pre_loss")
    assert rig.ctl.state.step == Step.IDENTIFY


def test_keypad_offered_where_allowed_and_used_from_the_failure(rig: Rig) -> None:
    rig.ctl.readers = FakeReaders(frozenset())
    rig.ctl.start("pre_loss")
    assert kind(rig) == "no_reader" and rig.ctl.state.failure.offers_keypad
    rig.ctl.use_keypad_instead()
    assert rig.ctl.state.step == Step.ID_KEYPAD


def test_cancel_needs_the_card_so_counter_and_hotline_are_offered(rig: Rig) -> None:
    rig.ctl.readers = FakeReaders(frozenset({"id"}))
    rig.ctl.start("cancel")
    f = rig.ctl.state.failure
    assert kind(rig) == "no_reader" and not f.offers_keypad
    assert f.advice_key == "journeys.failure.no_reader.advice_no_keypad"
    for lang in ("zh_CN", "en"):
        text = translate(f.advice_key, lang, **f.params)
        assert "96102" in text and ("柜台" in text or "counter" in text)
    rig.ctl.use_keypad_instead()
    assert kind(rig) == "no_reader"


def test_keypad_not_offered_where_the_site_does_not_allow_it(rig: Rig) -> None:
    s = rig.ctl.settings
    rig.ctl.settings = dataclasses.replace(s, features=dataclasses.replace(
        s.features, keypad_identify=False))
    rig.ctl.readers = FakeReaders(frozenset())
    rig.ctl.start("pre_loss")
    assert kind(rig) == "no_reader" and not rig.ctl.state.failure.offers_keypad


def _wait_limit(rig: Rig, seconds: float) -> None:
    rig.ctl.settings = dataclasses.replace(
        rig.ctl.settings, session=SessionSection(card_wait_seconds=seconds))  # type: ignore[arg-type]


def test_each_card_wait_has_a_limit_then_plain_words(rig: Rig) -> None:
    _wait_limit(rig, 0.3)
    rig.ctl.start("pre_loss")
    assert rig.ctl.state.step == Step.IDENTIFY
    rig.pump(until=Step.FAILED, timeout=3)
    f = rig.ctl.state.failure
    assert f.kind == "card_wait" and f.retry and f.params["seconds"] == 0.3
    rig.ctl.retry()
    assert rig.ctl.state.step == Step.IDENTIFY  # waiting again, with a fresh limit
    rig.pump(until=Step.FAILED, timeout=3)
    assert kind(rig) == "card_wait"


def test_the_limit_is_disarmed_when_the_card_comes(rig: Rig) -> None:
    _wait_limit(rig, 0.4)
    rig.ctl.start("cancel")
    timer = rig.ctl.waits._timer
    assert timer is not None, "the card wait has a limit"
    rig.ctl.end()  # left before the limit
    # Disarmed, the timer thread ends at once; had it been left armed it would fire at
    # 0.4 s and end then: either way it is over within the join, and what it might have
    # handed to the dispatcher is run below.
    timer.join(5)
    assert not timer.is_alive()
    rig.dispatch.run_pending()
    assert rig.ctl.state.step == Step.HOME


def test_card_wait_is_configured_below_the_inactivity_timeout() -> None:
    assert SessionSection().card_wait_seconds < SessionSection().inactivity_seconds
