"""Live outcomes on real parts: the sandbox over HTTP with its fault modes, the sealed
outbox on disk and its sender thread. A pre-loss queued at confirmation that the outbox
then delivers turns the person's screen into the success screen: the service's real
reference (not ``Q-…``) and the printed receipt."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from kiosk.central.client import CentralClient
from kiosk.central.outbox import Outbox
from kiosk.central.outbox_sender import OutboxSender
from kiosk.config import PrinterSection, Settings
from kiosk.personas import persona
from kiosk.services.controller import JourneyController
from kiosk.services.states import Step
from kiosk.services.tasks import QueueDispatcher
from tests.services.fakes import Event, FakePrinter, id_card

CENTRAL_BACKENDS = ("sandbox", "centre")  # journeys on both services (tests/fixtures/centre.py)
ID = persona("normal")["id"]["id_number"]
CARD = persona("normal")["ssc"]["card_number"]


@dataclass
class Live:
    ctl: JourneyController
    client: CentralClient
    outbox: Outbox
    sender: OutboxSender
    printer: FakePrinter
    dispatch: QueueDispatcher

    def pump_until(self, check: Any, timeout: float = 8.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.dispatch.run_pending(wait=0.05)
            if check():
                return
        raise AssertionError(f"not reached; at {self.ctl.state.step} {self.ctl.state.view}")


@pytest.fixture
def live(central_settings: Settings, make_central_client: Any, tmp_path: Any
         ) -> Iterator[Live]:
    client = make_central_client(read_timeout=0.6, retries=0)
    dispatch = QueueDispatcher()
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    printer = FakePrinter()
    settings = dataclasses.replace(central_settings, printer=PrinterSection(kind="dummy"))
    # As the composition root wires them: one client, the sender is the journeys' outbox.
    sender = OutboxSender(outbox, client, base_delay=0.05, max_delay=0.2, poll_interval=0.1)
    ctl = JourneyController(settings, client, dispatch, outbox=sender, printer=printer)
    sender.on_result = lambda item, out: ctl.delivery_sink(item.idempotency_key, out)
    yield Live(ctl, client, outbox, sender, printer, dispatch)
    sender.stop()
    ctl.shutdown()
    outbox.close()


def _to_consequences(live: Live) -> None:
    live.ctl.start("pre_loss")
    live.ctl.on_card_event(Event("card_read", "id", id_card(ID)))
    live.pump_until(lambda: live.ctl.state.step == Step.CARDS)
    live.ctl.pre_loss.choose_card("0")
    assert live.ctl.state.step == Step.CONSEQUENCES


def _recorded(sandbox: Any) -> list[dict[str, Any]]:
    return [p for p in sandbox.admin("GET", "/pre_losses") if p["card_number"] == CARD]


@pytest.mark.parametrize("fault", [
    {"garbage_next": 1},      # applied, reply garbled
    {"latency_ms": 1500},     # applied, reply too late (read timeout)
    {"fail_next": 1},         # 503, not applied
    {"drop_next": 1},         # connection dropped, not applied
])
def test_a_queued_pre_loss_delivered_while_shown_becomes_the_success_screen(
        live: Live, sandbox: Any, fault: dict[str, int]) -> None:
    _to_consequences(live)
    sandbox.admin("POST", "/faults", json=fault)
    live.ctl.pre_loss.confirm_pre_loss()
    live.pump_until(lambda: live.ctl.state.step == Step.PRE_LOSS_PENDING)
    queued = live.ctl.state.view
    assert queued.pending and queued.reference.startswith("Q-")
    sandbox.admin("DELETE", "/faults")
    live.sender.start()
    live.pump_until(lambda: live.ctl.state.step == Step.PRE_LOSS_DONE
                    and live.ctl.state.view.receipt == "printed")
    (record,) = _recorded(sandbox)  # exactly once, whatever the fault
    view = live.ctl.state.view
    assert not view.pending and view.reference == record["reference"] and view.was_pending
    assert not view.reference.startswith("Q-")
    assert [r.status for r, _ in live.printer.printed] == ["pending", "confirmed"]
    assert live.printer.printed[-1][0].reference == record["reference"]
    assert live.outbox.stats().pending == 0


def test_a_delivery_after_the_person_left_changes_nothing(live: Live, sandbox: Any) -> None:
    _to_consequences(live)
    sandbox.admin("POST", "/faults", json={"fail_next": 1})
    live.ctl.pre_loss.confirm_pre_loss()
    live.pump_until(lambda: live.ctl.state.step == Step.PRE_LOSS_PENDING)
    live.ctl.end()
    sandbox.admin("DELETE", "/faults")
    live.sender.start()
    deadline = time.monotonic() + 5
    while live.outbox.stats().pending and time.monotonic() < deadline:
        live.dispatch.run_pending(wait=0.05)
    live.dispatch.run_pending(wait=0.2)
    assert live.outbox.stats().pending == 0 and len(_recorded(sandbox)) == 1
    assert live.ctl.state.step == Step.HOME and live.ctl.session.is_empty()


def test_a_queued_pre_loss_refused_on_delivery_says_so(live: Live, sandbox: Any) -> None:
    _to_consequences(live)
    sandbox.admin("POST", "/faults", json={"fail_next": 1})
    live.ctl.pre_loss.confirm_pre_loss()
    live.pump_until(lambda: live.ctl.state.step == Step.PRE_LOSS_PENDING)
    sandbox.admin("DELETE", "/faults")
    # Meanwhile the card was pre-lost by phone: the queued request is refused for good.
    sandbox.store.pre_loss(CARD, ID, "hotline", "hotline", "phone-0000000001")
    live.sender.start()
    live.pump_until(lambda: live.ctl.state.step != Step.PRE_LOSS_PENDING)
    st = live.ctl.state
    assert st.step == Step.FAILED, st
    assert st.failure is not None and st.failure.params.get("hotline")
