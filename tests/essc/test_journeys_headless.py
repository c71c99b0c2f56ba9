"""The e-SSC journeys headless: the real controller, the real client against the real
sandbox over HTTP, scanner events of the real device types, a queue dispatcher."""

from __future__ import annotations

import time

import pytest

from kiosk.devices.scanner import ScanEvent, ScanEventKind, ScannedCode, ScannerError
from kiosk.services.controller import JourneyController
from kiosk.services.states import EsscRefusedView, Journey, Step
from kiosk.services.tasks import QueueDispatcher
from tests.services.conftest import make_settings


class Rig:
    def __init__(self, client, sandbox) -> None:
        self.sandbox = sandbox
        self.dispatch = QueueDispatcher()
        self.ctl = JourneyController(make_settings(), client, self.dispatch)
        self.ctl.essc.scanner_configured()
        self.event(ScanEventKind.SCANNER_READY)

    def event(self, kind, **kw) -> None:
        self.ctl.essc.scan_event_sink(ScanEvent(kind, **kw))
        self.dispatch.run_pending()

    def scan(self, persona: str = "normal", text: str | None = None, **flags) -> None:
        if text is None:
            text = self.sandbox.admin("POST", "/essc/codes",
                                      json={"persona": persona, **flags})["code"]
        self.event(ScanEventKind.CODE_SCANNED, code=ScannedCode(text))
        self.pump()

    def pump(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.dispatch.run_pending(wait=0.05)
            if self.ctl.state.step != Step.BUSY:
                return
        raise AssertionError("still busy")


@pytest.fixture
def rig(sandbox, central_client) -> Rig:
    return Rig(central_client, sandbox)


def test_scan_at_start_then_pre_loss(rig):
    ctl = rig.ctl
    rig.scan()
    assert ctl.state.step == Step.ESSC_CHOOSE and ctl.state.view.holder_masked == "王**"
    ctl.essc.choose("pre_loss")
    assert (ctl.state.step, ctl.state.journey) == (Step.CARDS, Journey.PRE_LOSS)
    ctl.pre_loss.choose_card("0")
    ctl.pre_loss.confirm_pre_loss()
    rig.pump()
    assert ctl.state.step == Step.PRE_LOSS_DONE
    assert ctl.session.id_number is None  # the kiosk never learnt it
    done = [p for p in rig.sandbox.admin("GET", "/pre_losses") if p["channel"] == "kiosk"]
    assert [p["card_number"] for p in done] == ["X00000019"]


def test_identify_step_offers_and_takes_the_essc(rig):
    ctl = rig.ctl
    ctl.start("status")
    assert ctl.state.view.essc == "ready"
    rig.scan("replacement")
    assert (ctl.state.step, ctl.state.journey) == (Step.STATUS, Journey.STATUS)
    assert ctl.state.view.has_replacement and ctl.state.view.stage == "ready_for_pickup"


@pytest.mark.parametrize(("flags", "persona", "text", "refusal"), [
    ({"expired": True}, "normal", None, "expired"),
    ({"used": True}, "normal", None, "already_used"),
    ({}, "normal", "https://pay.example.com/qr/0123456789", "not_an_essc"),
    ({}, "pin_blocked", None, "revoked"),
])
def test_refusals_have_their_screen_and_scan_again(rig, flags, persona, text, refusal):
    ctl = rig.ctl
    ctl.start("pre_loss")
    rig.scan(persona, text, **flags)
    assert ctl.state.step == Step.ESSC_REFUSED
    assert ctl.state.view == EsscRefusedView(refusal, from_start=False)
    ctl.essc.again()
    assert ctl.state.step == Step.IDENTIFY and ctl.state.journey == Journey.PRE_LOSS
    rig.scan()  # a fresh code now works
    assert ctl.state.step == Step.CARDS


def test_refusal_at_start_goes_home_on_scan_again(rig):
    rig.scan(expired=True)
    assert rig.ctl.state.view == EsscRefusedView("expired", from_start=True)
    rig.scan()  # scanning again from the refusal screen
    assert rig.ctl.state.step == Step.ESSC_CHOOSE
    rig.ctl.end()
    rig.scan(used=True)
    rig.ctl.essc.again()
    assert rig.ctl.state.step == Step.HOME


def test_scanner_lost_and_back_change_the_offer(rig):
    ctl = rig.ctl
    ctl.start("pre_loss")
    rig.event(ScanEventKind.SCANNER_LOST, error=ScannerError("scanner_lost"))
    assert ctl.state.step == Step.IDENTIFY and ctl.state.view.essc == "unavailable"
    rig.event(ScanEventKind.SCANNER_BACK)
    assert ctl.state.view.essc == "ready"


def test_unreadable_code_and_scans_elsewhere(rig):
    ctl = rig.ctl
    rig.event(ScanEventKind.CODE_REFUSED, error=ScannerError("bad_code"))
    assert ctl.state.step == Step.HOME  # at the start screen a misread says nothing
    ctl.start("pre_loss")
    rig.event(ScanEventKind.CODE_REFUSED, error=ScannerError("bad_code"))
    assert ctl.state.view == EsscRefusedView("bad_code", from_start=False)
    ctl.start("guidance")
    rig.scan()
    assert ctl.state.step == Step.GUIDANCE_INDEX  # ignored where nobody is identified


def test_offline_verify_is_a_failure_whose_retry_scans_again(rig):
    ctl = rig.ctl
    ctl.start("pre_loss")
    rig.sandbox.admin("POST", "/faults", json={"fail_next": 1})
    rig.scan()
    assert ctl.state.step == Step.FAILED
    ctl.retry()
    assert ctl.state.step == Step.IDENTIFY  # a fresh code, never the same one again


def test_pre_loss_by_essc_queues_with_the_handle_when_the_answer_is_lost(rig, tmp_path):
    from kiosk.central.outbox import Outbox
    from kiosk.central.outbox_sender import OutboxSender

    ctl = rig.ctl
    box = Outbox(tmp_path / "outbox.sqlite3", terminal_key=ctl.central.terminal_key)
    sender = OutboxSender(box, ctl.central)
    ctl.outbox = sender  # as the composition root wires it
    ctl.start("pre_loss")
    rig.scan()
    ctl.pre_loss.choose_card("0")
    rig.sandbox.admin("POST", "/faults", json={"fail_next": 5})
    ctl.pre_loss.confirm_pre_loss()
    rig.pump()
    assert ctl.state.step == Step.PRE_LOSS_PENDING
    rig.sandbox.admin("DELETE", "/faults")
    box.make_due()
    assert sender.deliver_once() >= 1
    done = [p for p in rig.sandbox.admin("GET", "/pre_losses") if p["channel"] == "kiosk"]
    assert len(done) == 1
    box.close()


def test_choice_of_cancel_starts_afresh(rig):
    rig.scan()
    rig.ctl.essc.choose("cancel")
    assert rig.ctl.state.step == Step.CANCEL_INSERT_SSC
    assert rig.ctl.session.person is None and rig.ctl.session.is_empty()
