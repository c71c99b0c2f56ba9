"""Dates and times a cardholder reads: region time, the official calendar, and a date
counted on the kiosk worded as an estimate while the service's own date wins."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time

import pytest

from kiosk.calendar_source import calendar_for
from kiosk.central.schemas import PreLossResult
from kiosk.config import RegionSection
from kiosk.domain.clock import format_time, region_now
from kiosk.domain.receipts import render_receipt
from kiosk.services.adapt import ReplacementInfo
from kiosk.services.controller import JourneyController
from kiosk.services.states import Step
from kiosk.services.tasks import QueueDispatcher
from kiosk.services.timeline import expected_date
from tests.services.conftest import NORMAL_ID, Rig, make_settings
from tests.services.fakes import (
    CentralOffline,
    Event,
    FakeCentral,
    FakeOutbox,
    FakePrinter,
    id_card,
    person,
)
from tests.services.test_pre_loss import identify_by_id_card
from tests.services.test_status_cancel import READY


def _answer(stopped_at: str, lapses_on: str):
    def submit(handle, key):
        return PreLossResult.model_validate({
            "reference": "PL-20261201-0001", "card_number_masked": "*****0019",
            "settlement_stopped_at": stopped_at, "lapses_on": lapses_on, "hotline": "96102"})
    return submit


def _confirm(rig: Rig, until: Step = Step.PRE_LOSS_DONE) -> None:
    identify_by_id_card(rig)
    rig.ctl.pre_loss.choose_card("0")
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump(until=until)
    deadline = time.monotonic() + 2
    while not rig.printer.printed and time.monotonic() < deadline:
        rig.dispatch.run_pending(wait=0.05)


def test_service_time_in_utc_is_shown_and_printed_in_beijing_time(rig: Rig) -> None:
    # The service stamps 22:51 UTC: in Beijing it is 06:51 the next day.
    rig.central.submit_pre_loss = _answer("2026-11-30T22:51:00Z", "2026-12-11")
    _confirm(rig)
    view = rig.ctl.state.view
    assert format_time(view.at) == "2026-12-01 06:51"
    assert view.at.utcoffset() == dt.timedelta(hours=8)
    assert view.lapses_on == dt.date(2026, 12, 11) and not view.lapse_estimate
    text = render_receipt(rig.printer.printed[0][0], "zh_CN").all_text()
    assert "2026-12-01 06:51" in text and "约" not in text


def _queued_at(rig: Rig, utc: dt.datetime) -> None:
    """A pre-loss queued (the service unreachable) at ``utc``: no date from the service
    (its answer always carries one), so the receipt's lapse date is counted here."""
    rig.ctl.now = lambda: utc
    rig.central.errors["submit_pre_loss"] = CentralOffline("down")
    _confirm(rig, until=Step.PRE_LOSS_PENDING)


def test_no_lapse_date_from_the_service_is_counted_here_as_an_estimate(rig: Rig) -> None:
    _queued_at(rig, dt.datetime(2026, 11, 30, 22, 51, tzinfo=dt.UTC))
    assert rig.ctl.state.view.lapses_on is None
    receipt = rig.printer.printed[0][0]
    # Ten calendar days from the Beijing date (12-01), not the UTC one (11-30).
    assert receipt.lapse_date == dt.date(2026, 12, 11) and receipt.lapse_estimate
    assert "约2026-12-11" in render_receipt(receipt, "zh_CN").all_text()
    assert "about 2026-12-11" in render_receipt(receipt, "en").all_text()


def test_elsewhere_fifteen_working_days_follow_the_official_calendar(rig: Rig) -> None:
    region = RegionSection(pre_loss_lapse_days=15, pre_loss_lapse_working_days=True)
    rig.ctl.settings = dataclasses.replace(rig.ctl.settings, region=region)
    _queued_at(rig, dt.datetime(2026, 9, 28, 2, 0, tzinfo=dt.UTC))
    assert rig.printer.printed[0][0].lapse_date == dt.date(2026, 10, 23)  # not Mon-Fri's 10-19


def test_status_expected_date_is_the_services(rig: Rig) -> None:
    rig.central.progress[NORMAL_ID] = {**READY, "stage": "applied",
                                       "applied_on": "2026-09-28", "expected_on": "2026-10-30"}
    for card in rig.central.people[NORMAL_ID]["cards"]:
        card["bank_function"] = False  # 15 working days, not 35
    rig.ctl.start("status")
    rig.ctl.on_card_event(Event("card_read", "id", id_card()))
    rig.pump()
    rig.pump()
    v = rig.ctl.state.view
    assert (v.expected_on, v.expected_estimate) == (dt.date(2026, 10, 30), False)


def test_without_the_services_date_it_is_counted_in_the_official_calendar() -> None:
    """The fallback for a replacement with no expected date (the contract's answer always
    has one): the official calendar's working days, worded "about"."""
    info = ReplacementInfo(stage="applied", applied_on=dt.date(2026, 9, 28), expected_on=None,
                           outlet="", ready_since=None, mailed=False, tracking_number="",
                           history=())
    got = expected_date(info, 15, calendar_for(None))
    assert got is not None and (got.value, got.is_estimate) == (dt.date(2026, 10, 23), True)


@pytest.fixture(params=["UTC", "America/Los_Angeles"])
def machine_zone(request):
    old = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_queued_pre_loss_time_is_region_time_whatever_the_machine_zone(machine_zone) -> None:
    dispatch, printer = QueueDispatcher(), FakePrinter()
    central = FakeCentral()
    central.people[NORMAL_ID] = person(("X00000019", "active"))
    central.errors["submit_pre_loss"] = CentralOffline("down")
    ctl = JourneyController(make_settings(), central, dispatch, outbox=FakeOutbox(central),
                            printer=printer)  # default clock: the region's
    rig = Rig(ctl, central, None, None, printer, dispatch)
    try:
        identify_by_id_card(rig)
        ctl.pre_loss.choose_card("0")
        before = region_now()
        ctl.pre_loss.confirm_pre_loss()
        rig.pump(until=Step.PRE_LOSS_PENDING)
        at = ctl.state.view.at
        assert at.utcoffset() == dt.timedelta(hours=8)
        assert time.localtime().tm_gmtoff != 8 * 3600  # the machine is elsewhere
        assert abs((at - before).total_seconds()) < 60
        assert format_time(at) == at.strftime("%Y-%m-%d %H:%M")
    finally:
        ctl.shutdown()
