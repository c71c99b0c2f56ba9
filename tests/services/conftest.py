"""A headless rig: controller + fakes + a queue dispatcher pumped by the test."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from kiosk.config import FeaturesSection, KioskSection, PrinterSection, SessionSection, Settings
from kiosk.services.controller import JourneyController
from kiosk.services.states import Step
from kiosk.services.tasks import QueueDispatcher
from tests.services.fakes import FakeCentral, FakeOutbox, FakePins, FakePrinter, person

NORMAL_ID = "110105198503071230"
PRE_LOSS_ID = "110102195501010036"
BLOCKED_ID = "440305197808157310"
TODAY = dt.date(2026, 11, 25)


@dataclass
class Rig:
    ctl: JourneyController
    central: FakeCentral
    pins: FakePins
    outbox: FakeOutbox
    printer: FakePrinter
    dispatch: QueueDispatcher

    def pump(self, until: Step | None = None, timeout: float = 3.0) -> None:
        """Run worker results until the state leaves BUSY (or reaches ``until``)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.dispatch.run_pending(wait=0.05)
            step = self.ctl.state.step
            if (until is None and step != Step.BUSY) or step == until:
                self.dispatch.run_pending()
                return
        raise AssertionError(f"still {self.ctl.state.step} after {timeout}s")


def make_settings(**features: bool) -> Settings:
    """Outlet settings; a reader gone at a card step is said at once (no grace period:
    tests/services/test_reader_grace.py tests the grace itself)."""
    return Settings(kiosk=KioskSection(site="outlet"),
                    features=FeaturesSection(**{"cancel_pre_loss": True, **features}),
                    printer=PrinterSection(kind="dummy"),
                    session=SessionSection(reader_grace_seconds=0))


@pytest.fixture
def rig() -> Rig:
    central = FakeCentral()
    central.people[NORMAL_ID] = person(("X00000019", "active"), ("X00000001", "cancelled"))
    central.people[PRE_LOSS_ID] = person(("X00000094", "pre_lost"), name="孙建华")
    central.people[BLOCKED_ID] = person(("X00000051", "pre_lost"), name="陈志强")
    central.by_card["X00000051"] = BLOCKED_ID
    dispatch = QueueDispatcher()
    pins, outbox, printer = FakePins(), FakeOutbox(central), FakePrinter()
    ctl = JourneyController(
        make_settings(), central, dispatch, pins=pins, outbox=outbox, printer=printer,
        today=lambda: TODAY,
        now=lambda: dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    yield Rig(ctl, central, pins, outbox, printer, dispatch)
    ctl.shutdown()
