"""Dates and times a cardholder reads: region time, the official calendar, and a date
counted on the kiosk worded as an estimate while the service's own date wins."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time

import pytest

from kiosk.config import RegionSection
from kiosk.domain.clock import format_time, region_now
from kiosk.domain.receipts import render_receipt
from kiosk.services.controller import JourneyController
from kiosk.services.states import Step
from kiosk.services.tasks import QueueDispatcher
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


def _answer(stopped_at: str, lapses_on: str | None):
    def submit(handle, key):
        return {"reference": "PL-20261201-0001", "card_number_masked": "X*****019",
                "settlement_stopped_at": stopped_at, "lapses_on": lapses_on,
                "hotline": "96102"}
    return submit


def _confirm(rig: Rig) -> None:
    identify_by_id_card(rig)
    rig.ctl.pre_loss.choose_card("0")
    rig.ctl.pre_loss.confirm_pre_loss()
    rig.pump(until=Step.PRE_LOSS_DONE)
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


def test_no_lapse_date_from_the_service_is_counted_here_as_an_estimate(rig: Rig) -> None:
    rig.central.submit_pre_loss = _answer("2026-11-30T22:51:00Z", None)
    _confirm(rig)
    view = rig.ctl.state.view
    # Ten calendar days from the Beijing date (12-01), not the UTC one (11-30).
    assert view.lapses_on == dt.date(2026, 12, 11) and view.lapse_estimate
    receipt = rig.printer.printed[0][0]
    assert receipt.lapse_estimate
    assert "约2026-12-11" in render_receipt(receipt, "zh_CN").all_text()
    assert "about 2026-12-11" in render_receipt(receipt, "en").all_text()


def test_elsewhere_fifteen_working_days_follow_the_official_calendar(rig: Rig) -> None:
    region = RegionSection(pre_loss_lapse_days=15, pre_loss_lapse_working_days=True)
    rig.ctl.settings = dataclasses.replace(rig.ctl.settings, region=region)
    rig.central.submit_pre_loss = _answer("2026-09-28T02:00:00Z", None)
    _confirm(rig)
    assert rig.ctl.state.view.lapses_on == dt.date(2026, 10, 23)  # not Mon-Fri's 10-19


@pytest.mark.parametrize("expected_on, shown, estimate", [
    ("2026-10-30", dt.date(2026, 10, 30), False),  # the service's date wins
    (None, dt.date(2026, 10, 23), True),  # counted here: the official calendar, "about"
])
def test_status_expected_date(rig: Rig, expected_on, shown, estimate) -> None:
    rig.central.progress[NORMAL_ID] = {**READY, "stage": "applied",
                                       "applied_on": "2026-09-28", "expected_on": expected_on}
    for card in rig.central.people[NORMAL_ID]["cards"]:
        card["bank_function"] = False  # 15 working days, not 35
    rig.ctl.start("status")
    rig.ctl.on_card_event(Event("card_read", "id", id_card()))
    rig.pump()
    rig.pump()
    v = rig.ctl.state.view
    assert (v.expected_on, v.expected_estimate) == (shown, estimate)


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
