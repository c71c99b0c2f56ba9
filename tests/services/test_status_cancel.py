"""Replacement status, cancel pre-loss and card-event failures, headless."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.calendar_source import calendar_for
from kiosk.devices.pcsc.errors import CardError
from kiosk.services.adapt import ReplacementInfo
from kiosk.services.states import Step
from kiosk.services.timeline import expected_date
from tests.services.conftest import BLOCKED_ID, NORMAL_ID, Rig
from tests.services.fakes import CentralOffline, Event, id_card, refused, ssc_card, status

READY = {"card_number_masked": "*****0116", "replaces_masked": "*****0019",
         "stage": "ready_for_pickup",
         "applied_on": "2026-10-20", "expected_on": "2026-11-10",
         "outlet": "东城区社保卡服务网点（东四十条）", "ready_since": "2026-11-09T10:00:00",
         "mailed": False, "tracking_number": None,
         "history": [{"stage": "applied", "at": "2026-10-20T09:00:00"},
                     {"stage": "in_production", "at": "2026-10-21T09:00:00"},
                     {"stage": "ready_for_pickup", "at": "2026-11-09T10:00:00"}]}


def test_status_by_id_card_shows_timeline(rig: Rig) -> None:
    rig.central.progress[NORMAL_ID] = READY
    rig.ctl.start("status")
    assert rig.ctl.state.view.ssc_allowed
    rig.ctl.on_card_event(Event("card_read", "id", id_card()))
    rig.pump()
    rig.pump()
    st = rig.ctl.state
    assert st.step == Step.STATUS and st.view.has_replacement
    v = st.view
    assert [(e.stage, e.done, e.current) for e in v.timeline] == [
        ("applied", True, False), ("in_production", True, False),
        ("ready_for_pickup", False, True), ("collected", False, False)]
    assert v.timeline[0].on == dt.date(2026, 10, 20)
    assert v.expected_on == dt.date(2026, 11, 10) and v.working_days == 35
    assert v.outlet.startswith("东城区") and v.next_key == "journeys.status.next.ready_for_pickup"


def test_status_expected_date_counted_in_working_days_when_service_gives_none() -> None:
    # The contract's answer always has expected_on; without one (ReplacementInfo allows
    # it) 35 working days (bank function) after Tue 2026-10-20, weekends skipped.
    info = ReplacementInfo(stage="applied", applied_on=dt.date(2026, 10, 20),
                           expected_on=None, outlet="", ready_since=None, mailed=False,
                           tracking_number="", history=())
    got = expected_date(info, 35, calendar_for(None))
    assert got is not None and got.value == dt.date(2026, 12, 8)


def test_status_without_replacement(rig: Rig) -> None:
    rig.ctl.start("status")
    rig.ctl.on_card_event(Event("card_read", "id", id_card()))
    rig.pump()
    rig.pump()
    v = rig.ctl.state.view
    assert rig.ctl.state.step == Step.STATUS and not v.has_replacement
    assert v.cards[0].advice_key == "journeys.status.card.active"


def test_status_by_ssc_and_card_removal_ends_session(rig: Rig) -> None:
    rig.central.progress["X00000051"] = READY
    rig.ctl.start("status")
    rig.ctl.on_card_event(Event("card_read", "ssc", ssc_card()))
    rig.pump()
    assert rig.ctl.state.step == Step.STATUS
    assert ("lookup_by_card", ("X00000051",)) in rig.central.calls
    rig.ctl.on_card_event(Event("card_removed", "ssc"))
    assert rig.ctl.state.step == Step.HOME
    assert rig.ctl.state.notice_key == "journeys.ended.card_removed"
    assert rig.ctl.session.is_empty()


@pytest.mark.parametrize(("kind", "failure"), [
    ("comm_failed", "card_unreadable"), ("unsupported_card", "wrong_card"),
    ("card_removed", "card_pulled"), ("no_reader", "no_reader"),
    ("service_down", "reader_service")])
def test_card_failures_have_screens_and_retry_returns_to_waiting(
        rig: Rig, kind: str, failure: str) -> None:
    rig.ctl.start("pre_loss")
    rig.ctl.on_card_event(Event("card_failed", "id", None, CardError(kind)))
    st = rig.ctl.state
    assert st.step == Step.FAILED and st.failure.kind == failure and st.failure.retry
    rig.ctl.retry()
    assert rig.ctl.state.step == Step.IDENTIFY


def test_ssc_inserted_for_pre_loss_is_the_wrong_card(rig: Rig) -> None:
    rig.ctl.start("pre_loss")
    rig.ctl.on_card_event(Event("card_read", "ssc", ssc_card()))
    assert rig.ctl.state.failure.kind == "wrong_card"
    assert rig.ctl.state.failure.params["expected"] == "id"


def test_reader_service_down_while_waiting(rig: Rig) -> None:
    rig.ctl.start("status")
    rig.ctl.on_card_event(Event("service_down", "id"))
    assert rig.ctl.state.failure.kind == "reader_service"


def test_events_outside_waiting_steps_are_ignored(rig: Rig) -> None:
    rig.ctl.start("guidance")
    rig.ctl.on_card_event(Event("card_read", "id", id_card()))
    assert rig.ctl.state.step == Step.GUIDANCE_INDEX and rig.ctl.session.is_empty()


def cancel_up_to_pin(rig: Rig) -> None:
    rig.ctl.start("cancel")
    assert rig.ctl.state.step == Step.CANCEL_INSERT_SSC
    rig.ctl.on_card_event(Event("card_read", "ssc", ssc_card()))
    assert rig.ctl.state.step == Step.CANCEL_PIN
    assert rig.ctl.state.view.card_number_masked == "*****0051"


def test_cancel_happy_path(rig: Rig) -> None:
    rig.central.statuses["X00000051"] = status("X00000051", "pre_lost", replacement=None)
    cancel_up_to_pin(rig)
    rig.ctl.cancel.submit_pin("000000")
    rig.pump()
    assert rig.ctl.state.step == Step.CANCEL_PIN
    assert rig.ctl.state.view.tries_left == 2
    assert rig.ctl.state.view.error_key == "journeys.pin.error.wrong"
    rig.ctl.cancel.submit_pin("123456")
    rig.pump()
    assert rig.ctl.state.step == Step.CANCEL_INSERT_ID
    rig.ctl.on_card_event(Event("card_read", "id", id_card(BLOCKED_ID, name="陈志强")))
    rig.pump()
    assert rig.ctl.state.step == Step.CANCEL_CONFIRM
    rig.ctl.cancel.confirm_cancel()
    rig.pump()
    assert rig.ctl.state.step == Step.CANCEL_DONE
    (card, number, key), = [a for op, a in rig.central.calls if op == "cancel_pre_loss"]
    assert (card, number) == ("X00000051", BLOCKED_ID) and key
    rig.ctl.on_card_event(Event("card_removed", "ssc"))
    assert rig.ctl.session.is_empty()


def test_cancel_id_card_must_match(rig: Rig) -> None:
    cancel_up_to_pin(rig)
    rig.ctl.cancel.submit_pin("123456")
    rig.pump()
    rig.ctl.on_card_event(Event("card_read", "id", id_card(NORMAL_ID)))
    assert rig.ctl.state.failure.kind == "id_mismatch"
    assert ("card_status", ("X00000051",)) not in rig.central.calls
    rig.ctl.retry()
    assert rig.ctl.state.step == Step.CANCEL_INSERT_ID


def test_cancel_refused_when_replacement_exists(rig: Rig) -> None:
    rig.central.statuses["X00000051"] = status("X00000051", "pre_lost", replacement=READY)
    cancel_up_to_pin(rig)
    rig.ctl.cancel.submit_pin("123456")
    rig.pump()
    rig.ctl.on_card_event(Event("card_read", "id", id_card(BLOCKED_ID)))
    rig.pump()
    f = rig.ctl.state.failure
    assert f.kind == "refused" and f.body_key == "journeys.refused.replacement_exists"


def test_cancel_refused_by_the_service(rig: Rig) -> None:
    rig.central.statuses["X00000051"] = status("X00000051", "pre_lost")
    rig.central.errors["cancel_pre_loss"] = refused("replacement_exists")
    cancel_up_to_pin(rig)
    rig.ctl.cancel.submit_pin("123456")
    rig.pump()
    rig.ctl.on_card_event(Event("card_read", "id", id_card(BLOCKED_ID)))
    rig.pump()
    rig.ctl.cancel.confirm_cancel()
    rig.pump()
    assert rig.ctl.state.failure.body_key == "journeys.refused.replacement_exists"
    assert not rig.ctl.state.failure.retry


def test_cancel_not_pre_lost_card(rig: Rig) -> None:
    rig.central.statuses["X00000051"] = status("X00000051", "active")
    cancel_up_to_pin(rig)
    rig.ctl.cancel.submit_pin("123456")
    rig.pump()
    rig.ctl.on_card_event(Event("card_read", "id", id_card(BLOCKED_ID)))
    rig.pump()
    assert rig.ctl.state.failure.kind == "not_pre_lost"


def test_cancel_offline_is_a_failure_not_queued(rig: Rig) -> None:
    rig.central.statuses["X00000051"] = status("X00000051", "pre_lost")
    rig.central.errors["cancel_pre_loss"] = CentralOffline("down")
    cancel_up_to_pin(rig)
    rig.ctl.cancel.submit_pin("123456")
    rig.pump()
    rig.ctl.on_card_event(Event("card_read", "id", id_card(BLOCKED_ID)))
    rig.pump()
    rig.ctl.cancel.confirm_cancel()
    rig.pump()
    assert rig.ctl.state.failure.kind == "offline" and rig.outbox.items == []


def test_pin_blocked(rig: Rig) -> None:
    rig.pins.tries = 0
    cancel_up_to_pin(rig)
    rig.ctl.cancel.submit_pin("123456")
    rig.pump()
    f = rig.ctl.state.failure
    assert f.kind == "pin_blocked" and not f.retry


def test_last_wrong_pin_blocks(rig: Rig) -> None:
    rig.pins.tries = 1
    cancel_up_to_pin(rig)
    rig.ctl.cancel.submit_pin("999999")
    rig.pump()
    assert rig.ctl.state.failure.kind == "pin_blocked"


def test_ssc_removed_during_cancel_ends_session(rig: Rig) -> None:
    cancel_up_to_pin(rig)
    rig.ctl.on_card_event(Event("card_removed", "ssc"))
    assert rig.ctl.state.step == Step.HOME and rig.ctl.session.is_empty()


def test_cancel_not_offered_when_disabled(rig: Rig) -> None:
    from dataclasses import replace

    from kiosk.config import FeaturesSection

    rig.ctl.settings = replace(rig.ctl.settings, features=FeaturesSection(cancel_pre_loss=False))
    with pytest.raises(ValueError):
        rig.ctl.start("cancel")


def test_guidance_from_inside_a_journey_returns_there(rig: Rig) -> None:
    rig.ctl.start("pre_loss")
    rig.ctl.guidance.open_topic("proxy")
    assert rig.ctl.state.step == Step.GUIDANCE_TOPIC and rig.ctl.state.view.topic == "proxy"
    assert rig.ctl.state.view.params["hotline"] == "96102"
    rig.ctl.back()
    assert rig.ctl.state.step == Step.IDENTIFY
